package io.podvault.dump;

import io.podvault.config.DbCoordinates;

/**
 * What a server does for its first backup once it is up, in the background: it starts deriving the key that
 * seals its backups with the database password, the one password a backup is allowed to seal with. The first
 * backup after a start then finds the key ready instead of spending half a second of a core on it while its
 * rows stream.
 */
public final class BackupWarmUp {

  private BackupWarmUp() {
  }

  /** Returns at once; the work runs on a thread of its own. */
  public static void start(DbCoordinates db) {
    SealingKey.prepare(db.password());
  }
}
