package io.podvault.restore;

import io.podvault.auth.TokenService;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import io.podvault.db.Sql;
import io.podvault.dump.SchemaCheck;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Puts the loaded shadow schema in place of the live one in one short transaction, which also ends every
 * session and records the job as succeeded: either the server has the restored data, nobody is signed in and
 * the job says so, or nothing changed at all. It runs on the connection that holds the job lock and checks,
 * inside the transaction, that the lock is still held, so a job whose lock was lost (its session ended) can
 * never swap. The replaced schema is kept aside under {@value #REPLACED_SCHEMA} until {@link #dropReplaced}
 * removes it.
 */
public final class SchemaSwap {

  public static final String REPLACED_SCHEMA = "podvault_replaced";
  private static final String LIVE = Migrations.APP_SCHEMA;

  private static final String LIVE_TABLES =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = '" + LIVE + "' AND c.relkind IN ('r', 'p') ORDER BY c.relname";
  private static final String OWNER = "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = '" + LIVE + "'";
  private static final String GRANTS =
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.privilege_type "
      + "FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = '" + LIVE + "'";
  private static final String END_SESSIONS = "DELETE FROM podvault.sessions";
  /** The job is done once this commits, so a crash right after the commit cannot make the record lie. */
  private static final String JOB_SUCCEEDED = "UPDATE podvault.jobs SET state = 'succeeded', finished_at = now(), error = NULL, "
    + "progress = progress || '{\"state\":\"succeeded\"}'::jsonb WHERE id = ? AND state = 'running'";

  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final int LOCK_ATTEMPTS = 15;
  private static final long LOCK_WAIT_MILLIS = 2_000;
  private static final long LOCK_PAUSE_MILLIS = 1_000;

  private SchemaSwap() {
  }

  /**
   * Swaps {@code shadow} in as the live schema for restore {@code job}, on {@code lock}, the connection that
   * holds the job lock; all or nothing. The live tables' locks are asked for briefly and again after a pause,
   * never for long: queries that arrive while the swap waits queue behind it, so a long wait would stall the
   * whole server.
   */
  public static void swap(Connection lock, String shadow, SchemaCheck schema, String newSigningKey, UUID job)
    throws SQLException, InterruptedException {
    try {
      dropReplaced(lock);
      swapWithRetries(lock, shadow, schema, newSigningKey, job);
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        throw new SQLException("this restore's database session, which held the job lock, was lost (" + e.getMessage()
          + "), so another job may have started; nothing was changed", e.getSQLState(), e);
      }
      throw e;
    }
  }

  private static void swapWithRetries(Connection lock, String shadow, SchemaCheck schema, String newSigningKey, UUID job)
    throws SQLException, InterruptedException {
    lock.setAutoCommit(false);
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          swapOnce(lock, shadow, schema, newSigningKey, job);
          return;
        } catch (SQLException e) {
          if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || attempt == LOCK_ATTEMPTS) {
            throw LOCK_NOT_AVAILABLE.equals(e.getSQLState())
              ? new SQLException("the live tables stayed busy for " + LOCK_ATTEMPTS + " attempts (a long transaction holds "
                + "them); try the restore again when the server is quieter", e.getSQLState(), e)
              : e;
          }
          Thread.sleep(LOCK_PAUSE_MILLIS);
        }
      }
    } finally {
      try {
        lock.setAutoCommit(true);
      } catch (SQLException ignored) {
        // a broken connection: the error that broke it is the one thrown
      }
    }
  }

  private static void swapOnce(Connection c, String shadow, SchemaCheck schema, String newSigningKey, UUID job)
    throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT_MILLIS + "ms'");
      if (!JobLock.isHeld(c)) {
        throw new SQLException("this restore no longer holds the job lock (its database session was ended), so another "
          + "job may have started; nothing was changed", "55000");
      }
      List<String> tables = strings(s, LIVE_TABLES);
      if (!tables.isEmpty()) {
        // Waits for transactions on the live tables to end and holds new ones until the swap commits.
        s.execute("LOCK TABLE " + String.join(", ", tables.stream().map(t -> Sql.qualified(LIVE, t)).toList())
          + " IN ACCESS EXCLUSIVE MODE");
      }
      // Checked in full when the job began; what could have changed since, and would be lost, is checked again.
      List<String> differences = schema.tablesAndDependents(c, tables);
      if (!differences.isEmpty()) {
        throw new SQLException(SchemaCheck.refusal(differences) + "; nothing was changed", "55000");
      }
      String owner = strings(s, OWNER).get(0);
      List<String> grants = new ArrayList<>();
      try (ResultSet rs = s.executeQuery(GRANTS)) {
        while (rs.next()) {
          String grantee = "PUBLIC".equals(rs.getString(1)) ? "PUBLIC" : rs.getString(1);
          grants.add("GRANT " + rs.getString(2) + " ON SCHEMA " + LIVE + " TO " + grantee);
        }
      }
      replaceHistory(s, shadow);
      s.execute("ALTER SCHEMA " + LIVE + " RENAME TO " + REPLACED_SCHEMA);
      s.execute("ALTER SCHEMA " + Sql.ident(shadow) + " RENAME TO " + LIVE);
      s.execute("ALTER SCHEMA " + LIVE + " OWNER TO " + owner);
      for (String grant : grants) {
        s.execute(grant);
      }
      try (PreparedStatement ps = c.prepareStatement(TokenService.ROTATE_KEY_JDBC)) {
        ps.setString(1, newSigningKey);
        ps.executeUpdate();
      }
      s.execute(END_SESSIONS);
      try (PreparedStatement ps = c.prepareStatement(JOB_SUCCEEDED)) {
        ps.setObject(1, job);
        if (ps.executeUpdate() != 1) {
          throw new SQLException("this restore's job record was already ended (a server that started meanwhile found it "
            + "abandoned); nothing was changed", "55000");
        }
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      Connections.rollbackQuietly(c);
      throw e;
    }
  }

  /**
   * The live schema's migration history becomes the shadow's, whose version it now is. Both tables are podvault's
   * (in schema podvault, never in the swapped schemas), and a few rows long.
   */
  private static void replaceHistory(Statement s, String shadow) throws SQLException {
    String live = Sql.qualified(Migrations.INTERNAL_SCHEMA, Migrations.historyTable(LIVE));
    String loaded = Sql.qualified(Migrations.INTERNAL_SCHEMA, Migrations.historyTable(shadow));
    s.execute("DELETE FROM " + live);
    s.execute("INSERT INTO " + live + " SELECT * FROM " + loaded);
    s.execute("DROP TABLE " + loaded);
  }

  /**
   * Drops the data a swap replaced: after the swap's commit, outside its transaction, as removing hundreds of
   * megabytes of files would lengthen the moment the live tables are locked; a server stopped before it
   * leaves the schema for the next start. It never reaches outside the schema (see {@link SchemaDrop}).
   */
  public static void dropReplaced(Connection c) throws SQLException {
    SchemaDrop.dropIfExists(c, REPLACED_SCHEMA);
  }

  private static List<String> strings(Statement s, String sql) throws SQLException {
    List<String> result = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        result.add(rs.getString(1));
      }
    }
    return result;
  }
}
