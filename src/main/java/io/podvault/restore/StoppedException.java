package io.podvault.restore;

import java.io.IOException;

/** A read of a file still arriving stopped before the file's end: the upload was cancelled or stalled. */
public final class StoppedException extends IOException {

  StoppedException(String message) {
    super(message);
  }
}
