package io.podvault.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Drops one of podvault's own schemas (a restore's shadow, the data a swap replaced, a scratch copy of the
 * migrations) without ever reaching outside it. {@code DROP SCHEMA ... CASCADE} would also drop whatever other
 * schemas built on it, a view or a foreign key someone added by hand, so the drop is refused, naming those
 * objects, when any exists; the schema then stays for the administrator to look at.
 */
public final class SchemaDrop {

  /** Objects outside the schema that depend on a table, type or function inside it. */
  private static final String OUTSIDE_DEPENDENTS =
    "WITH inside AS (SELECT oid FROM pg_namespace WHERE nspname = ?), "
      + "dependents AS (SELECT DISTINCT d.classid, d.objid, d.objsubid FROM pg_depend d WHERE d.deptype IN ('n', 'a') AND ("
      + "  (d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM inside)))"
      + "  OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT oid FROM pg_type WHERE typnamespace = (SELECT oid FROM inside)))"
      + "  OR (d.refclassid = 'pg_proc'::regclass AND d.refobjid IN (SELECT oid FROM pg_proc WHERE pronamespace = (SELECT oid FROM inside))))) "
      + "SELECT pg_describe_object(classid, objid, objsubid) FROM dependents "
      + "WHERE " + namespaceOf("classid", "objid") + " IS DISTINCT FROM (SELECT oid FROM inside) ORDER BY 1";

  private static final String TABLES =
    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'm', 'v', 'f') ORDER BY 1";

  private SchemaDrop() {
  }

  /**
   * The schema of a dependent object, from the catalog its class names; null (taken as outside) for a kind of
   * object this does not know.
   */
  private static String namespaceOf(String classid, String objid) {
    return "CASE " + classid
      + " WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = " + objid + ")"
      + " WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = " + objid + ")"
      + " WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = " + objid + ")"
      + " WHEN 'pg_constraint'::regclass THEN (SELECT connamespace FROM pg_constraint WHERE oid = " + objid + ")"
      + " WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class"
      + "   WHERE r.oid = " + objid + ")"
      + " WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
      + "   WHERE t.oid = " + objid + ")"
      + " WHEN 'pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid"
      + "   WHERE a.oid = " + objid + ")"
      + " WHEN 'pg_policy'::regclass THEN (SELECT c.relnamespace FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
      + "   WHERE p.oid = " + objid + ")"
      + " END";
  }

  /** Objects outside {@code schema} that depend on it, described as PostgreSQL names them. */
  public static List<String> outsideDependents(Connection c, String schema) throws SQLException {
    List<String> found = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(OUTSIDE_DEPENDENTS)) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return found;
  }

  /**
   * Drops {@code schema} and everything in it, its migration history in schema podvault included, when it exists
   * and nothing outside depends on it. Its tables are
   * locked first, so no new dependent can appear between the check and the drop. Runs in a transaction of its
   * own on {@code c} (which must be in autocommit mode).
   */
  public static void dropIfExists(Connection c, String schema) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(TABLES)) {
        ps.setString(1, schema);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            tables.add(rs.getString(1));
          }
        }
      }
      if (!tables.isEmpty()) {
        s.execute("LOCK TABLE " + String.join(", ", tables) + " IN ACCESS EXCLUSIVE MODE");
      }
      List<String> outside = outsideDependents(c, schema);
      if (!outside.isEmpty()) {
        throw new SQLException("schema " + schema + " was left in place: objects outside it depend on it ("
          + String.join("; ", outside) + "); dropping it would drop them too. Remove or move them, then restart podvault",
          "2BP01");
      }
      s.execute("DROP SCHEMA IF EXISTS " + Sql.ident(schema) + " CASCADE");
      s.execute("DROP TABLE IF EXISTS " + Sql.qualified(Migrations.INTERNAL_SCHEMA, Migrations.historyTable(schema)));
      c.commit();
    } catch (SQLException | RuntimeException e) {
      Connections.rollbackQuietly(c);
      throw e;
    } finally {
      try {
        c.setAutoCommit(true);
      } catch (SQLException ignored) {
        // a broken connection: its owner closes it
      }
    }
  }
}
