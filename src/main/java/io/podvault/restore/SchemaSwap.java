package io.podvault.restore;

import io.podvault.auth.TokenService;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import io.podvault.db.Sql;
import io.podvault.dump.SchemaCheck;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the loaded shadow schema's tables in place of the live ones in one short transaction, which also ends every
 * session, records the job as succeeded and notifies every server ({@value #RESTORED_CHANNEL}): either the server has the restored data, nobody is signed in and
 * the job says so, or nothing changed at all. It runs on the connection that holds the job lock and checks,
 * inside the transaction, that the lock is still held, so a job whose lock was lost (its session ended) can
 * never swap. The replaced tables are kept aside in schema {@value #REPLACED_SCHEMA} until {@link #dropReplaced}
 * removes it.
 *
 * <p>The tables move between the schemas ({@code ALTER TABLE ... SET SCHEMA} takes their indexes, constraints and
 * sequences along); schema {@code public} itself stays, with its comment, owner, grants and the initial privileges
 * PostgreSQL records for it, so that on PinePods' database {@code pg_dump --schema-only} of it reads the same
 * after a restore. The restored tables and sequences get the owners and grants the live ones had: PinePods' tables
 * may belong to PinePods' role rather than podvault's.
 *
 * <p>After the commit, other applications' sessions on the database (a running PinePods) are ended, so that they
 * reconnect to the restored data rather than carry on with what they had read. Ending another role's session needs
 * superuser or membership of {@code pg_signal_backend}; without it the swap logs a warning and carries on.
 */
public final class SchemaSwap {

  public static final String REPLACED_SCHEMA = "podvault_replaced";
  /**
   * The PostgreSQL channel a swap notifies, with the job's id, as it commits: every server on the database, whichever
   * process restored, then signs its sockets out.
   */
  public static final String RESTORED_CHANNEL = "podvault_restored";
  private static final String LIVE = Migrations.APP_SCHEMA;

  /** The tables of a schema (one parameter: its name). */
  private static final String TABLES =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
      + "AND c.relkind IN ('r', 'p') ORDER BY c.relname";
  /** The live tables' and sequences' owners and grants, as statements that give them to the restored ones. */
  private static final String OWNERS_AND_GRANTS =
    "SELECT c.relname, c.relkind = 'S', c.relowner::regrole::text, c.relacl IS NOT NULL, "
      + "  (SELECT array_agg(a.privilege_type || ' TO ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END"
      + "     || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END ORDER BY a.grantee, a.privilege_type)"
      + "   FROM aclexplode(c.relacl) a) "
      + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + LIVE + "' AND c.relkind IN ('r', 'p', 'S') "
      // Tables first: changing a table's owner changes its sequences' too, which cannot be changed on their own.
      + "ORDER BY c.relkind = 'S', c.relname";
  /** Client sessions of other applications on this database. */
  private static final String FOREIGN_SESSIONS = "SELECT pid, application_name, usename FROM pg_stat_activity "
    + "WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
    + "AND NOT " + Connections.OWN_SESSION;
  private static final String INSUFFICIENT_PRIVILEGE = "42501";
  private static final String END_SESSIONS = "DELETE FROM podvault.sessions";
  /** The job is done once this commits, so a crash right after the commit cannot make the record lie. */
  private static final String JOB_SUCCEEDED = "UPDATE podvault.jobs SET state = 'succeeded', finished_at = now(), error = NULL, "
    + "progress = progress || '{\"state\":\"succeeded\"}'::jsonb WHERE id = ? AND state = 'running'";

  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final int LOCK_ATTEMPTS = 15;
  private static final long LOCK_WAIT_MILLIS = 2_000;
  private static final long LOCK_PAUSE_MILLIS = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(SchemaSwap.class);

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
      List<String> tables = tables(c, LIVE);
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
      List<String> moves = new ArrayList<>(historyReplacement(shadow));
      moves.add("CREATE SCHEMA " + REPLACED_SCHEMA);
      for (String table : tables) {
        moves.add("ALTER TABLE " + Sql.qualified(LIVE, table) + " SET SCHEMA " + REPLACED_SCHEMA);
      }
      for (String table : tables(c, shadow)) {
        moves.add("ALTER TABLE " + Sql.qualified(shadow, table) + " SET SCHEMA " + LIVE);
      }
      // Empty now: anything else in it would make this fail, and the swap with it.
      moves.add("DROP SCHEMA " + Sql.ident(shadow));
      moves.addAll(ownersAndGrants(s));
      // A few hundred statements while the live tables are locked, sent in one round trip: the swap phase of a
      // warm restore took 68-107 ms so, against 94-123 ms with a round trip each (six restores each here).
      s.execute(String.join(";\n", moves));
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
      // Delivered at the commit, and only if it commits.
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify('" + RESTORED_CHANNEL + "', ?)")) {
        ps.setString(1, job.toString());
        ps.execute();
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      Connections.rollbackQuietly(c);
      throw e;
    }
    endForeignSessions(c);
  }

  /**
   * Statements that give the shadow's tables and sequences, once they are in {@code public}, the live ones' owners
   * and grants: owner first (it takes the grants made by the old owner along), then the grants exactly, unless the
   * live one never had any (its default privileges, which a new owner gets anyway).
   */
  private static List<String> ownersAndGrants(Statement s) throws SQLException {
    List<String> statements = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(OWNERS_AND_GRANTS)) {
      while (rs.next()) {
        boolean sequence = rs.getBoolean(2);
        String target = (sequence ? "SEQUENCE " : "TABLE ") + Sql.qualified(LIVE, rs.getString(1));
        String owner = rs.getString(3);
        statements.add("ALTER " + target + " OWNER TO " + owner);
        if (rs.getBoolean(4)) {
          statements.add("REVOKE ALL ON " + target + " FROM PUBLIC, " + owner);
          Array grants = rs.getArray(5);
          for (String grant : grants == null ? new String[0] : (String[]) grants.getArray()) {
            statements.add("GRANT " + grant.replaceFirst(" TO ", " ON " + target + " TO "));
          }
        }
      }
    }
    return statements;
  }

  private static List<String> tables(Connection c, String schema) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(TABLES)) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
    }
    return tables;
  }

  /** Another application's session on the database. */
  private record ForeignSession(int pid, String application, String role) {
    @Override
    public String toString() {
      return pid + " (" + application + ", role " + role + ")";
    }
  }

  /** After the commit: the data is restored whatever happens here, so a refusal is a warning. */
  private static void endForeignSessions(Connection c) {
    List<String> ended = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(FOREIGN_SESSIONS)) {
      List<ForeignSession> sessions = new ArrayList<>();
      while (rs.next()) {
        sessions.add(new ForeignSession(rs.getInt(1), rs.getString(2), rs.getString(3)));
      }
      for (ForeignSession session : sessions) {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
          ps.setInt(1, session.pid());
          ps.execute();
          ended.add(session.toString());
        } catch (SQLException e) {
          if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
            throw e;
          }
          LOG.warn("The session {} on this database was not ended: podvault's role may not end other roles' sessions "
            + "({}). It may go on with the data from before the restore until it reconnects; restart that application, "
            + "or GRANT pg_signal_backend TO podvault's role", session, e.getMessage());
        }
      }
    } catch (SQLException e) {
      LOG.warn("Other applications' sessions on this database were not ended after the restore ({}); restart them so "
        + "that they read the restored data", e.getMessage());
    }
    if (!ended.isEmpty()) {
      LOG.info("Ended other applications' sessions on this database, so that they reconnect to the restored data: {}",
        String.join(", ", ended));
    }
  }

  /**
   * The statements by which the live schema's migration history becomes the shadow's, whose version it now is.
   * Both tables are podvault's (in schema podvault, never in the swapped schemas), and a few rows long.
   */
  private static List<String> historyReplacement(String shadow) {
    String live = Sql.qualified(Migrations.INTERNAL_SCHEMA, Migrations.historyTable(LIVE));
    String loaded = Sql.qualified(Migrations.INTERNAL_SCHEMA, Migrations.historyTable(shadow));
    return List.of("DELETE FROM " + live, "INSERT INTO " + live + " SELECT * FROM " + loaded, "DROP TABLE " + loaded);
  }

  /**
   * Drops the data a swap replaced: after the swap's commit, outside its transaction, as removing hundreds of
   * megabytes of files would lengthen the moment the live tables are locked; a server stopped before it
   * leaves the schema for the next start. It never reaches outside the schema (see {@link SchemaDrop}).
   */
  public static void dropReplaced(Connection c) throws SQLException {
    SchemaDrop.dropIfExists(c, REPLACED_SCHEMA);
  }
}
