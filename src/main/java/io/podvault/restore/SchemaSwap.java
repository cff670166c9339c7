package io.podvault.restore;

import io.podvault.auth.TokenService;
import io.podvault.db.Migrations;
import io.podvault.dump.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts the loaded shadow schema in place of the live one in one short transaction, which also ends every
 * session: either the server has the restored data and nobody is signed in, or nothing changed at all. The
 * replaced schema is kept aside under {@value #REPLACED_SCHEMA} until {@link #dropReplaced} removes it.
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

  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final int LOCK_ATTEMPTS = 15;
  private static final long LOCK_WAIT_MILLIS = 2_000;
  private static final long LOCK_PAUSE_MILLIS = 1_000;

  private SchemaSwap() {
  }

  /**
   * Swaps {@code shadow} in as the live schema and clears every session, all or nothing. The live tables'
   * locks are asked for briefly and again after a pause, never for long: queries that arrive while the swap
   * waits queue behind it, so a long wait would stall the whole server.
   */
  public static void swap(Connection c, String shadow, String newSigningKey) throws SQLException, InterruptedException {
    dropReplaced(c);
    c.setAutoCommit(false);
    for (int attempt = 1; ; attempt++) {
      try {
        swapOnce(c, shadow, newSigningKey);
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
  }

  private static void swapOnce(Connection c, String shadow, String newSigningKey) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT_MILLIS + "ms'");
      List<String> tables = strings(s, LIVE_TABLES);
      if (!tables.isEmpty()) {
        // Waits for transactions on the live tables to end and holds new ones until the swap commits.
        s.execute("LOCK TABLE " + String.join(", ", tables.stream().map(t -> Sql.qualified(LIVE, t)).toList())
          + " IN ACCESS EXCLUSIVE MODE");
      }
      String owner = strings(s, OWNER).get(0);
      List<String> grants = new ArrayList<>();
      try (ResultSet rs = s.executeQuery(GRANTS)) {
        while (rs.next()) {
          String grantee = "PUBLIC".equals(rs.getString(1)) ? "PUBLIC" : rs.getString(1);
          grants.add("GRANT " + rs.getString(2) + " ON SCHEMA " + LIVE + " TO " + grantee);
        }
      }
      s.execute("ALTER SCHEMA " + LIVE + " RENAME TO " + REPLACED_SCHEMA);
      s.execute("ALTER SCHEMA " + shadow + " RENAME TO " + LIVE);
      s.execute("ALTER SCHEMA " + LIVE + " OWNER TO " + owner);
      for (String grant : grants) {
        s.execute(grant);
      }
      try (var ps = c.prepareStatement(TokenService.ROTATE_KEY_JDBC)) {
        ps.setString(1, newSigningKey);
        ps.executeUpdate();
      }
      s.execute("DELETE FROM podvault.sessions");
      c.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the connection is gone; the server rolled the transaction back
      }
      throw e;
    }
  }

  /**
   * Drops the data a swap replaced: after the swap's commit, outside its transaction, as removing hundreds of
   * megabytes of files would lengthen the moment the live tables are locked; a server stopped before it
   * leaves the schema for the next start.
   */
  public static void dropReplaced(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + REPLACED_SCHEMA + " CASCADE");
    }
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
