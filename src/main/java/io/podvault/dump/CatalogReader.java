package io.podvault.dump;

import io.podvault.db.Sql;
import io.podvault.dump.Catalog.Column;
import io.podvault.dump.Catalog.Constraint;
import io.podvault.dump.Catalog.Sequence;
import io.podvault.dump.Catalog.Table;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a schema's objects from the live catalog. The connection must have {@code search_path = ''}, so
 * that the server's deparsed definitions name every object with its schema, as pg_dump's do.
 */
public final class CatalogReader {

  private static final String TABLES =
    "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ORDER BY c.relname COLLATE \"C\"";

  private static final String COLUMNS =
    "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, "
      + "pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expr, a.attidentity, a.attgenerated, "
      + "CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation "
      + "  THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) "
      + "        FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) "
      + "END AS collation "
      + "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      + "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      + "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum";

  private static final String SEQUENCES =
    "SELECT c.relname, pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, "
      + "s.seqmax, s.seqcache, s.seqcycle, oc.relname AS owner_table, oa.attname AS owner_column, "
      + "dep.deptype = 'i' AS identity "
      + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid "
      + "LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = c.oid "
      + "  AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i') "
      + "LEFT JOIN pg_class oc ON oc.oid = dep.refobjid "
      + "LEFT JOIN pg_attribute oa ON oa.attrelid = dep.refobjid AND oa.attnum = dep.refobjsubid "
      + "WHERE n.nspname = ? AND c.relkind = 'S' ORDER BY c.relname COLLATE \"C\"";

  private static final String CONSTRAINTS =
    "SELECT c.relname, co.conname, co.contype, pg_catalog.pg_get_constraintdef(co.oid) AS def "
      + "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = ? AND co.contype IN ('p', 'u', 'c', 'f', 'x') "
      + "ORDER BY CASE WHEN co.contype = 'f' THEN 1 ELSE 0 END, c.relname COLLATE \"C\", co.conname COLLATE \"C\"";

  private static final String INDEXES =
    "SELECT c.relname AS table_name, ic.relname AS index_name, pg_catalog.pg_get_indexdef(i.indexrelid) AS def FROM pg_index i "
      + "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid "
      + "JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = ? AND NOT EXISTS (SELECT 1 FROM pg_constraint co "
      + "  WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) "
      + "ORDER BY ic.relname COLLATE \"C\"";

  private static final String VIEWS =
    "SELECT c.relname, c.relkind, pg_catalog.pg_get_viewdef(c.oid) AS def FROM pg_class c "
      + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('v', 'm') ORDER BY c.oid";

  private static final String FUNCTIONS =
    "SELECT pg_catalog.pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
      + "WHERE n.nspname = ? AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 FROM pg_depend d "
      + "  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY p.oid";

  private static final String TRIGGERS =
    "SELECT pg_catalog.pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
      + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND NOT t.tgisinternal "
      + "ORDER BY c.relname COLLATE \"C\", t.tgname COLLATE \"C\"";

  private static final String ENUMS =
    "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_type t "
      + "JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid "
      + "WHERE n.nspname = ? GROUP BY t.oid, t.typname ORDER BY t.oid";

  private static final String DOMAINS =
    "SELECT t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull, t.typdefault, "
      + "(SELECT string_agg(' CONSTRAINT ' || pg_catalog.quote_ident(co.conname) || ' ' "
      + "   || pg_catalog.pg_get_constraintdef(co.oid), '' ORDER BY co.conname) "
      + " FROM pg_constraint co WHERE co.contypid = t.oid AND co.contype = 'c') AS checks "
      + "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ? AND t.typtype = 'd' ORDER BY t.oid";

  private static final String COMPOSITES =
    "SELECT t.typname, string_agg(pg_catalog.quote_ident(a.attname) || ' ' "
      + "  || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) AS fields "
      + "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid "
      + "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
      + "WHERE n.nspname = ? AND t.typtype = 'c' AND c.relkind = 'c' GROUP BY t.oid, t.typname ORDER BY t.oid";

  /** Comments on tables, views, sequences, indexes, columns, functions, types and constraints. */
  private static final String COMMENTS =
    "SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' "
      + "  WHEN 'i' THEN 'INDEX' ELSE 'TABLE' END AS kind, "
      + "  pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS target, "
      + "  d.objsubid, a.attname, d.description "
      + "FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid "
      + "JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 "
      + "WHERE n.nspname = ? "
      + "UNION ALL SELECT 'FUNCTION', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) "
      + "  || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', 0, NULL, d.description "
      + "FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid "
      + "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ? "
      + "UNION ALL SELECT 'TYPE', pg_catalog.format_type(t.oid, NULL), 0, NULL, d.description "
      + "FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid "
      + "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ? "
      + "UNION ALL SELECT 'CONSTRAINT', pg_catalog.quote_ident(co.conname) || ' ON ' || pg_catalog.quote_ident(n.nspname) "
      + "  || '.' || pg_catalog.quote_ident(c.relname), 0, NULL, d.description "
      + "FROM pg_description d JOIN pg_constraint co ON d.classoid = 'pg_constraint'::regclass AND co.oid = d.objoid "
      + "JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
      + "ORDER BY 1, 2, 3";

  private final Connection connection;
  private final String schema;
  private final boolean sequenceStates;

  /** Reads everything a backup needs, sequence values included. */
  public CatalogReader(Connection connection, String schema) {
    this(connection, schema, true);
  }

  /**
   * @param sequenceStates whether to read each sequence's value (one more query); comparing schemas
   *   needs only their definitions
   */
  public CatalogReader(Connection connection, String schema, boolean sequenceStates) {
    this.connection = connection;
    this.schema = schema;
    this.sequenceStates = sequenceStates;
  }

  public Catalog read() throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SET search_path = ''");
    }
    List<String> types = new ArrayList<>();
    types.addAll(enums());
    types.addAll(domains());
    types.addAll(composites());
    return new Catalog(types, strings(FUNCTIONS), sequences(), tables(), views(), constraints(),
      indexes(), strings(TRIGGERS), comments());
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement ps = connection.prepareStatement(sql);
    ps.setString(1, schema);
    return ps;
  }

  private List<String> strings(String sql) throws SQLException {
    List<String> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(sql); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(rs.getString(1));
      }
    }
    return result;
  }

  private List<Table> tables() throws SQLException {
    Map<Long, String> names = new LinkedHashMap<>();
    try (PreparedStatement ps = prepare(TABLES); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        names.put(rs.getLong("oid"), rs.getString("relname"));
      }
    }
    Map<Long, List<Column>> columns = new HashMap<>();
    try (PreparedStatement ps = prepare(COLUMNS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String generated = rs.getString("attgenerated");
        String expr = rs.getString("expr");
        boolean isGenerated = generated != null && !generated.isEmpty();
        columns.computeIfAbsent(rs.getLong("attrelid"), k -> new ArrayList<>()).add(new Column(
          rs.getString("attname"), rs.getString("type"), rs.getBoolean("attnotnull"),
          isGenerated ? null : expr, rs.getString("attidentity"), isGenerated ? expr : null, rs.getString("collation")));
      }
    }
    List<Table> tables = new ArrayList<>();
    names.forEach((oid, name) -> tables.add(new Table(oid, name, columns.getOrDefault(oid, List.of()))));
    return tables;
  }

  private List<Sequence> sequences() throws SQLException {
    List<Sequence> definitions = new ArrayList<>();
    try (PreparedStatement ps = prepare(SEQUENCES); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        definitions.add(new Sequence(rs.getString("relname"), rs.getString("type"), rs.getLong("seqstart"),
          rs.getLong("seqincrement"), rs.getLong("seqmin"), rs.getLong("seqmax"), rs.getLong("seqcache"),
          rs.getBoolean("seqcycle"), rs.getString("owner_table"), rs.getString("owner_column"),
          rs.getBoolean("identity"), 0, false));
      }
    }
    return sequenceStates && !definitions.isEmpty() ? withStates(definitions) : definitions;
  }

  /**
   * Every sequence's value in one query, one round trip instead of one per sequence: with PinePods' 44 the
   * whole catalog read took a median 23-27 ms instead of 41-50 ms here.
   */
  private List<Sequence> withStates(List<Sequence> definitions) throws SQLException {
    List<String> selects = new ArrayList<>();
    for (int i = 0; i < definitions.size(); i++) {
      selects.add("SELECT " + i + " AS i, last_value, is_called FROM " + Sql.qualified(schema, definitions.get(i).name()));
    }
    long[] values = new long[definitions.size()];
    boolean[] called = new boolean[definitions.size()];
    try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(String.join(" UNION ALL ", selects))) {
      while (rs.next()) {
        values[rs.getInt(1)] = rs.getLong(2);
        called[rs.getInt(1)] = rs.getBoolean(3);
      }
    }
    List<Sequence> result = new ArrayList<>();
    for (int i = 0; i < definitions.size(); i++) {
      Sequence d = definitions.get(i);
      result.add(new Sequence(d.name(), d.type(), d.start(), d.increment(), d.min(), d.max(), d.cache(), d.cycle(),
        d.ownerTable(), d.ownerColumn(), d.identity(), values[i], called[i]));
    }
    return result;
  }

  private List<String> views() throws SQLException {
    List<String> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(VIEWS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String def = rs.getString("def").strip();
        if (def.endsWith(";")) {
          def = def.substring(0, def.length() - 1);
        }
        String name = Sql.qualified(schema, rs.getString("relname"));
        result.add("m".equals(rs.getString("relkind"))
          ? "CREATE MATERIALIZED VIEW " + name + " AS\n" + def + "\n  WITH NO DATA;"
          : "CREATE VIEW " + name + " AS\n" + def + ";");
      }
    }
    return result;
  }

  private List<Constraint> constraints() throws SQLException {
    List<Constraint> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(CONSTRAINTS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(new Constraint(rs.getString("relname"), rs.getString("conname"), rs.getString("contype"), rs.getString("def")));
      }
    }
    return result;
  }

  private List<Catalog.Index> indexes() throws SQLException {
    List<Catalog.Index> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(INDEXES); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(new Catalog.Index(rs.getString("table_name"), rs.getString("index_name"), rs.getString("def")));
      }
    }
    return result;
  }

  private List<String> enums() throws SQLException {
    List<String> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(ENUMS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        List<String> labels = new ArrayList<>();
        for (String label : (String[]) rs.getArray("labels").getArray()) {
          labels.add(Sql.literal(label));
        }
        result.add("CREATE TYPE " + Sql.qualified(schema, rs.getString("typname")) + " AS ENUM ("
          + String.join(", ", labels) + ");");
      }
    }
    return result;
  }

  private List<String> domains() throws SQLException {
    List<String> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(DOMAINS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        StringBuilder ddl = new StringBuilder("CREATE DOMAIN ")
          .append(Sql.qualified(schema, rs.getString("typname"))).append(" AS ").append(rs.getString("base"));
        if (rs.getString("typdefault") != null) {
          ddl.append(" DEFAULT ").append(rs.getString("typdefault"));
        }
        if (rs.getBoolean("typnotnull")) {
          ddl.append(" NOT NULL");
        }
        if (rs.getString("checks") != null) {
          ddl.append(rs.getString("checks"));
        }
        result.add(ddl.append(';').toString());
      }
    }
    return result;
  }

  private List<String> composites() throws SQLException {
    List<String> result = new ArrayList<>();
    try (PreparedStatement ps = prepare(COMPOSITES); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add("CREATE TYPE " + Sql.qualified(schema, rs.getString("typname")) + " AS (" + rs.getString("fields") + ");");
      }
    }
    return result;
  }

  private List<String> comments() throws SQLException {
    List<String> result = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(COMMENTS)) {
      ps.setString(1, schema);
      ps.setString(2, schema);
      ps.setString(3, schema);
      ps.setString(4, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String target = rs.getString("target");
          String kind = rs.getString("kind");
          if (rs.getInt("objsubid") > 0) {
            kind = "COLUMN";
            target = target + "." + Sql.ident(rs.getString("attname"));
          }
          result.add("COMMENT ON " + kind + " " + target + " IS " + Sql.literal(rs.getString("description")) + ";");
        }
      }
    }
    return result;
  }
}
