package io.podvault.dump;

import io.podvault.db.Sql;
import io.podvault.dump.Catalog.Sequence;
import io.podvault.dump.Catalog.Table;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The text of the file PinePods' own backup endpoint writes: pg_dump's plain format with {@code --data-only
 * --disable-triggers}, the data of {@code "Sessions"} and {@code "GpodderSessions"} left out. PinePods restores
 * it by emptying its tables and running it with psql, so every statement, its quoting and the order of the
 * tables are pg_dump's own; the comments keep pg_dump's shape too, naming podvault as the writer.
 *
 * <p>pg_dump's {@code \restrict} line, and the line that lifts it at the end, are left out: psql learnt these
 * meta-commands only in the August 2025 minor releases (17.6, 16.10, 15.14, ...), and an older psql, such as
 * one in a PinePods image, stops at an unknown meta-command under ON_ERROR_STOP.
 */
final class PinePodsScript {

  /** Sign-ins belong to the server that made them: PinePods' backup leaves their rows out. */
  static final Set<String> EXCLUDED_DATA = Set.of("Sessions", "GpodderSessions");

  /** The words pg_dump quotes even when they are plain lower case names. */
  private static final String KEYWORDS = "SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'";

  private static final String OWNERS =
    "SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner FROM pg_catalog.pg_class c "
      + "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'S')";

  /** Each table with a table it references in the same schema; a table's references to itself do not order it. */
  private static final String REFERENCES =
    "SELECT c.relname AS child, p.relname AS parent FROM pg_catalog.pg_constraint co "
      + "JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_class p ON p.oid = co.confrelid "
      + "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE co.contype = 'f' AND n.nspname = ? AND p.relnamespace = c.relnamespace AND p.oid <> c.oid";

  private final Catalog catalog;
  private final String schema;
  private final Set<String> keywords;
  private final Map<String, String> owners;
  private final List<Table> tables;

  private PinePodsScript(Catalog catalog, String schema, Set<String> keywords, Map<String, String> owners,
    Map<String, Set<String>> parents) {
    this.catalog = catalog;
    this.schema = schema;
    this.keywords = keywords;
    this.owners = owners;
    this.tables = parentsFirst(catalog.tables().stream().filter(t -> !EXCLUDED_DATA.contains(t.name())).toList(), parents);
  }

  /** Reads, in the dump's snapshot, what the text needs beyond the catalog: keywords, owners and references. */
  static PinePodsScript read(Connection connection, Catalog catalog, String schema) throws SQLException {
    Set<String> keywords = new HashSet<>();
    try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(KEYWORDS)) {
      while (rs.next()) {
        keywords.add(rs.getString(1));
      }
    }
    Map<String, String> owners = new HashMap<>();
    Map<String, Set<String>> parents = new HashMap<>();
    try (PreparedStatement ps = connection.prepareStatement(OWNERS)) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          owners.put(rs.getString("relname"), rs.getString("owner"));
        }
      }
    }
    try (PreparedStatement ps = connection.prepareStatement(REFERENCES)) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          parents.computeIfAbsent(rs.getString("child"), k -> new HashSet<>()).add(rs.getString("parent"));
        }
      }
    }
    return new PinePodsScript(catalog, schema, keywords, owners, parents);
  }

  /** The tables whose rows the file carries, in the order it carries them. */
  List<Table> tables() {
    return tables;
  }

  /** pg_dump's opening comments and session settings. */
  String header(String serverVersion) {
    return "--\n-- PostgreSQL database dump\n--\n\n"
      + "-- Dumped from database version " + serverVersion + "\n"
      + "-- Dumped by podvault, in the form of pg_dump --data-only --disable-triggers\n\n"
      + String.join("\n", BackupFormat.PROLOGUE) + "\n\n";
  }

  /** Everything before a table's rows; the first table also resets the session's role, as pg_dump does. */
  String beforeRows(Table table, boolean first) {
    return comment("Data for Name", table.name(), "TABLE DATA")
      + (first ? "SET SESSION AUTHORIZATION DEFAULT;\n\n" : "")
      + "ALTER TABLE " + name(table.name()) + " DISABLE TRIGGER ALL;\n\n"
      + "COPY " + name(table.name()) + " (" + columnList(table) + ") FROM stdin;\n";
  }

  /** What follows a table's end-of-data line and the blank line after it. */
  String afterRows(Table table) {
    return "\nALTER TABLE " + name(table.name()) + " ENABLE TRIGGER ALL;\n\n";
  }

  /** Every sequence's value, the sessions' ones included: pg_dump leaves out only the excluded tables' rows. */
  String sequenceValues() {
    StringBuilder text = new StringBuilder();
    for (Sequence s : catalog.sequences()) {
      text.append(comment("Name", s.name(), "SEQUENCE SET"))
        .append("SELECT pg_catalog.setval(").append(Sql.literal(name(s.name()))).append(", ")
        .append(s.lastValue()).append(", ").append(s.isCalled()).append(");\n\n\n");
    }
    return text.toString();
  }

  String footer() {
    return "--\n-- PostgreSQL database dump complete\n--\n\n";
  }

  private String comment(String label, String object, String type) {
    return "--\n-- " + label + ": " + object + "; Type: " + type
      + "; Schema: " + schema + "; Owner: " + owners.get(object) + "\n--\n\n";
  }

  private String name(String object) {
    return Sql.identAsNeeded(schema, keywords) + "." + Sql.identAsNeeded(object, keywords);
  }

  private String columnList(Table table) {
    return String.join(", ", table.copyColumns().stream().map(c -> Sql.identAsNeeded(c.name(), keywords)).toList());
  }

  /**
   * pg_dump's order: by name, then moved only as far as references require, parents first. Like pg_dump it
   * builds the order from the end, each time taking the last table (by name) that no table still to be placed
   * references. Tables that reference each other in a circle are placed by name: triggers are off while the
   * rows load, so any order loads.
   */
  private static List<Table> parentsFirst(List<Table> byName, Map<String, Set<String>> parents) {
    Set<String> carried = new HashSet<>(byName.stream().map(Table::name).toList());
    Map<String, Integer> referencedBy = new HashMap<>();
    for (Table table : byName) {
      for (String parent : parents.getOrDefault(table.name(), Set.of())) {
        if (carried.contains(parent)) {
          referencedBy.merge(parent, 1, Integer::sum);
        }
      }
    }
    List<Table> remaining = new ArrayList<>(byName);
    Deque<Table> order = new ArrayDeque<>();
    while (!remaining.isEmpty()) {
      int pick = remaining.size() - 1;
      while (pick >= 0 && referencedBy.getOrDefault(remaining.get(pick).name(), 0) > 0) {
        pick--;
      }
      Table table = remaining.remove(pick < 0 ? remaining.size() - 1 : pick);
      order.addFirst(table);
      for (String parent : parents.getOrDefault(table.name(), Set.of())) {
        referencedBy.computeIfPresent(parent, (name, count) -> count - 1);
      }
    }
    return List.copyOf(order);
  }
}
