package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a server does for its first backup once it is up, in the background, so that the first backup after a start
 * does not pay for it while its rows wait:
 * <ul>
 *   <li>it starts deriving the key that seals its backups with the database password, the one password a backup
 *       may seal with (half a second of a core), which is also the key of the files earlier processes made;
 *   <li>it signs in once on a COPY connection, as every backup's row readers do, and closes it: a process's first
 *       such sign-in sets up TLS (even under {@code sslmode=prefer}, which asks the server for it) and the protocol
 *       code, 350-850 ms here against 50-130 ms for the next ones.
 * </ul>
 * A database that cannot be reached now only leaves the first backup to do this itself.
 */
public final class BackupWarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(BackupWarmUp.class);

  private BackupWarmUp() {
  }

  /** Returns at once; the work runs on threads of its own. */
  public static void start(DbCoordinates db) {
    SealingKey.prepare(db);
    Thread signIn = new Thread(() -> signInOnce(db), "podvault-warm-up");
    signIn.setDaemon(true);
    signIn.start();
  }

  private static void signInOnce(DbCoordinates db) {
    try {
      Connections.copyOut(db).close();
    } catch (SQLException e) {
      LOG.debug("The backup's first sign-in was left to the first backup: {}", e.getMessage());
    }
  }
}
