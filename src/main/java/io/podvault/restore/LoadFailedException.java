package io.podvault.restore;

import java.io.IOException;

/** Loading the rows into the shadow schema failed while the file was still being checked: the database's failure. */
public final class LoadFailedException extends IOException {

  LoadFailedException(Exception cause) {
    super("loading the rows failed: " + cause.getMessage(), cause);
  }
}
