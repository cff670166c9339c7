package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import io.podvault.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Whether the live application schema is exactly what podvault's migrations build. A table, column or index
 * added by hand would make backups that no restore loads, and a restore would swap such additions out of
 * sight (and a view or foreign key in another schema built on the live tables would lose them), so jobs are
 * refused while anything differs, with the list of differences.
 */
public final class SchemaCheck {

  private static final String LIVE = Migrations.APP_SCHEMA;

  private final Catalog expected;
  /** The newest schema version this build knows. */
  private final String version;

  private SchemaCheck(Catalog expected, String version) {
    this.expected = expected;
    this.version = version;
  }

  /** The check against the migrations' newest version, which this build brings every database to. */
  public static SchemaCheck of(DbCoordinates db) throws SQLException {
    String latest = Migrations.latestVersion(db);
    return new SchemaCheck(MigratedCatalog.at(db, latest), latest);
  }

  /**
   * The check of a database whose {@code public} holds tables without podvault's history (a running PinePods'
   * database): adoptable when they are exactly the data model, as podvault's migrations build it. A schema that holds
   * none of PinePods' tables is not a PinePods database at all, which says more than a list of missing tables.
   */
  public static Migrations.ForeignSchemaCheck adoption(DbCoordinates db) {
    return relations -> {
      SchemaCheck check = of(db);
      if (check.expected.tables().stream().map(Catalog.Table::name).noneMatch(relations::contains)) {
        int shown = Math.min(relations.size(), 10);
        return List.of("it holds none of PinePods' tables, but " + String.join(", ", relations.subList(0, shown))
          + (relations.size() > shown ? " and " + (relations.size() - shown) + " more" : ""));
      }
      try (Connection c = Connections.open(db)) {
        return check.differences(c);
      }
    };
  }

  /**
   * Refuses a job, with {@link JobFailure#SCHEMA_MISMATCH}, while the live schema differs from podvault's migrations;
   * with {@link JobFailure#NODE_OUTDATED} when a newer podvault has migrated it past this build's migrations.
   */
  public void require(Connection c) throws JobException, SQLException {
    require(c, new CatalogReader(c, LIVE, false).read());
  }

  /** The same, with the live schema's catalog already read on {@code c} (a backup's, in its snapshot). */
  public void require(Connection c, Catalog live) throws JobException, SQLException {
    List<String> found = differences(c, live);
    if (!found.isEmpty()) {
      String migrated = liveVersion(c);
      if (migrated != null && MigrationVersion.fromVersion(migrated).compareTo(MigrationVersion.fromVersion(version)) > 0) {
        throw new JobException(JobFailure.NODE_OUTDATED, "a newer podvault has migrated the database's schema to version "
          + migrated + ", past this node's " + version + ": upgrade this node; it serves requests meanwhile but runs no "
          + "backup or restore");
      }
      throw new JobException(JobFailure.SCHEMA_MISMATCH, refusal(found));
    }
  }

  private static String liveVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(Migrations.currentVersionQuery(LIVE))) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** What differs between the live schema and the migrations', in words; empty when nothing does. */
  public List<String> differences(Connection c) throws SQLException {
    return differences(c, new CatalogReader(c, LIVE, false).read());
  }

  private List<String> differences(Connection c, Catalog live) throws SQLException {
    List<String> found = compare(expected, live);
    found.addAll(outsideDependents(c));
    return found;
  }

  /**
   * The part of the check cheap enough for the swap's own transaction, while it holds the live tables: the
   * same tables, and nothing outside built on them.
   */
  public List<String> tablesAndDependents(Connection c, List<String> liveTables) throws SQLException {
    List<String> found = new ArrayList<>();
    List<String> expectedTables = expected.tables().stream().map(Catalog.Table::name).sorted().toList();
    List<String> live = liveTables.stream().sorted().toList();
    if (!live.equals(expectedTables)) {
      found.add("the live tables are " + live + " where podvault's schema has " + expectedTables);
    }
    found.addAll(outsideDependents(c));
    return found;
  }

  /** The message for an administrator: what differs and what to do. */
  public static String refusal(List<String> differences) {
    int shown = Math.min(differences.size(), 20);
    return "the database schema differs from podvault's migrations (was it changed by hand?), so backups and restores "
      + "are refused until it matches: " + String.join("; ", differences.subList(0, shown))
      + (differences.size() > shown ? "; and " + (differences.size() - shown) + " more" : "")
      + ". Undo these changes, or move what was added into another schema that does not depend on podvault's tables";
  }

  private static List<String> outsideDependents(Connection c) throws SQLException {
    return SchemaDrop.outsideDependents(c, LIVE).stream()
      .map(d -> d + " (outside schema " + LIVE + ") depends on podvault's tables, and a restore would take them away from it")
      .toList();
  }

  static List<String> compare(Catalog expected, Catalog live) {
    List<String> found = new ArrayList<>();
    Function<Catalog.Table, String> table = t -> Sql.ident(t.name());
    diff(found, "table", byKey(expected.tables(), table), byKey(live.tables(), table),
      (name, want, have) -> compareColumns(found, name, want, have));
    Function<Catalog.Constraint, String> constraint = k -> Sql.ident(k.name()) + " on " + Sql.ident(k.table());
    diff(found, "constraint", byKey(expected.constraints(), constraint), byKey(live.constraints(), constraint),
      sameDefinition(found, "constraint", Catalog.Constraint::definition));
    Function<Catalog.Index, String> index = i -> Sql.ident(i.name());
    diff(found, "index", byKey(expected.indexes(), index), byKey(live.indexes(), index),
      sameDefinition(found, "index", Catalog.Index::definition));
    Function<Catalog.Sequence, String> sequence = q -> Sql.ident(q.name());
    diff(found, "sequence", byKey(expected.sequences(), sequence), byKey(live.sequences(), sequence),
      sameDefinition(found, "sequence", SchemaCheck::sequenceDefinition));
    statements(found, "type", expected.types(), live.types());
    statements(found, "function", expected.functions(), live.functions());
    statements(found, "view", expected.views(), live.views());
    statements(found, "trigger", expected.triggers(), live.triggers());
    statements(found, "comment", expected.comments(), live.comments());
    return found;
  }

  /** Compares an object present in both; {@code name} is how messages name it. */
  private interface Differ<T> {
    void compare(String name, T expected, T live);
  }

  /** Objects of {@code kind} must have the same definition. */
  private static <T> Differ<T> sameDefinition(List<String> found, String kind, Function<T, String> definition) {
    return (name, want, have) -> {
      if (!Objects.equals(definition.apply(want), definition.apply(have))) {
        found.add(kind + " " + name + " is " + definition.apply(have) + " where podvault's is " + definition.apply(want));
      }
    };
  }

  /** Objects only in the live schema, then objects only in podvault's; those in both go to {@code differ}. */
  private static <T> void diff(List<String> found, String kind, Map<String, T> expected, Map<String, T> live, Differ<T> differ) {
    for (Map.Entry<String, T> entry : live.entrySet()) {
      if (!expected.containsKey(entry.getKey())) {
        found.add(kind + " " + entry.getKey() + " is not in podvault's schema");
      } else {
        differ.compare(entry.getKey(), expected.get(entry.getKey()), entry.getValue());
      }
    }
    for (String name : expected.keySet()) {
      if (!live.containsKey(name)) {
        found.add(kind + " " + name + " is missing");
      }
    }
  }

  private static void compareColumns(List<String> found, String table, Catalog.Table want, Catalog.Table have) {
    Function<Catalog.Column, String> column = c -> table + "." + Sql.ident(c.name());
    Map<String, Catalog.Column> expected = byKey(want.columns(), column);
    Map<String, Catalog.Column> live = byKey(have.columns(), column);
    diff(found, "column", expected, live, sameDefinition(found, "column", SchemaCheck::columnDefinition));
    if (expected.keySet().equals(live.keySet()) && !List.copyOf(expected.keySet()).equals(List.copyOf(live.keySet()))) {
      found.add("the columns of table " + table + " are in another order than podvault's");
    }
  }

  private static String columnDefinition(Catalog.Column c) {
    return c.type() + (c.notNull() ? " NOT NULL" : "") + (c.defaultExpr() == null ? "" : " DEFAULT " + c.defaultExpr())
      + (c.identity() == null || c.identity().isEmpty() ? "" : " IDENTITY " + c.identity())
      + (c.generatedExpr() == null ? "" : " GENERATED " + c.generatedExpr())
      + (c.collation() == null ? "" : " COLLATE " + c.collation());
  }

  private static String sequenceDefinition(Catalog.Sequence s) {
    return s.type() + " START " + s.start() + " INCREMENT " + s.increment() + " MIN " + s.min() + " MAX " + s.max()
      + " CACHE " + s.cache() + (s.cycle() ? " CYCLE" : "") + " OWNED BY " + s.ownerTable() + "." + s.ownerColumn();
  }

  /** Objects compared by their whole definition: an extra one is named by its first line. */
  private static void statements(List<String> found, String kind, List<String> expected, List<String> live) {
    for (String statement : live) {
      if (!expected.contains(statement)) {
        found.add(kind + " not in podvault's schema: " + firstLine(statement));
      }
    }
    for (String statement : expected) {
      if (!live.contains(statement)) {
        found.add(kind + " missing: " + firstLine(statement));
      }
    }
  }

  private static String firstLine(String statement) {
    String line = statement.strip().lines().findFirst().orElse("");
    return line.length() > 160 ? line.substring(0, 160) + "..." : line;
  }

  private static <T> Map<String, T> byKey(List<T> items, Function<T, String> key) {
    Map<String, T> map = new LinkedHashMap<>();
    for (T item : items) {
      map.put(key.apply(item), item);
    }
    return map;
  }
}
