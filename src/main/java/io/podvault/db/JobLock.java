package io.podvault.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One job at a time per database, across processes: a session-level PostgreSQL advisory lock held by the
 * job's own connection. A process that dies takes its connection, and so the lock, with it; a job checks that
 * it still holds the lock in the transaction that makes its work live.
 */
public final class JobLock {

  /** "podvault" in ASCII, as a 64-bit advisory lock key. */
  static final long KEY = 0x706F647661756C74L;

  private static final String TRY = "SELECT pg_try_advisory_lock(?)";
  private static final String RELEASE = "SELECT pg_advisory_unlock(?)";
  /** A bigint key shows in pg_locks as its high half (classid) and low half (objid), with objsubid 1. */
  private static final String HELD = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    + "AND pid = pg_backend_pid() AND objsubid = 1 AND classid::bigint = ? AND objid::bigint = ?)";

  private JobLock() {
  }

  /** Takes the lock on this connection; false when another session holds it. */
  public static boolean tryAcquire(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(TRY)) {
      ps.setLong(1, KEY);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  public static void release(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(RELEASE)) {
      ps.setLong(1, KEY);
      ps.execute();
    }
  }

  /** Whether this connection's session holds the lock now. */
  public static boolean isHeld(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(HELD)) {
      ps.setLong(1, KEY >>> 32);
      ps.setLong(2, KEY & 0xFFFFFFFFL);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
