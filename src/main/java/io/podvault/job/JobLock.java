package io.podvault.job;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One job at a time per database, across processes: a session-level PostgreSQL advisory lock held by the
 * job's own connection. A process that dies takes its connection, and so the lock, with it.
 */
public final class JobLock {

  /** "podvault" in ASCII, as a 64-bit advisory lock key. */
  static final long KEY = 0x706F647661756C74L;

  private JobLock() {
  }

  /** Takes the lock on this connection, or throws {@link JobFailure#JOB_RUNNING} when another job holds it. */
  public static void acquire(Connection connection) throws SQLException, JobException {
    try (Statement s = connection.createStatement();
         ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + KEY + ")")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        throw new JobException(JobFailure.JOB_RUNNING,
          "a backup or restore is already running on this server; wait until it has finished");
      }
    }
  }

  public static void release(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SELECT pg_advisory_unlock(" + KEY + ")");
    }
  }
}
