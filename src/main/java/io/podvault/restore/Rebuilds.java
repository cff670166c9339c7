package io.podvault.restore;

import io.podvault.db.Sql;
import io.podvault.dump.Catalog;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys, indexes and foreign keys of a shadow schema, dropped before its rows load and rebuilt after, each
 * as soon as it can be: a table's keys and indexes once its rows are in, its foreign keys once it and every
 * table they reference have their keys and indexes. Check constraints stay, as pg_dump keeps them in CREATE
 * TABLE: they cost little per row, and re-creating one from its printed form can change how PostgreSQL stores
 * it. Thread-safe: loads and builds report here from every worker.
 */
final class Rebuilds {

  /** A statement that rebuilds a key or index after the rows are in, and the table it builds on. */
  record Statement(String table, String sql) {
  }

  /**
   * A table's foreign keys: added NOT VALID (no scan) and then validated, which locks the table only against
   * changes, so tables validate side by side. The result is the same valid constraint a plain ADD makes.
   * Constraints that are NOT VALID in the schema itself are added as they are.
   */
  record ForeignKeys(String table, List<String> add, List<String> validate) {
  }

  /** The table a foreign key's definition references, schema-qualified as the catalog prints it. */
  private static final Pattern REFERENCES = Pattern.compile(
    "REFERENCES (?:\"(?:[^\"]|\"\")+\"|[^.\"(\\s]+)\\.(\"(?:[^\"]|\"\")+\"|[^.\"(\\s]+)\\(");

  private final Map<String, List<Statement>> keysAndIndexes = new HashMap<>();
  private final Map<String, ForeignKeys> foreignKeys = new LinkedHashMap<>();
  private final Map<String, Set<String>> referenced = new HashMap<>();
  private final Map<String, Integer> unbuilt = new HashMap<>();
  private final Set<String> built = new HashSet<>();
  private final int statements;

  /**
   * @param definitions applied to every key, foreign key and index definition of {@code shadow}: the identity,
   *     or the rename of the schema they were read in
   */
  private Rebuilds(String schema, Catalog shadow, UnaryOperator<String> definitions) {
    for (Catalog.Table table : shadow.tables()) {
      keysAndIndexes.put(table.name(), new ArrayList<>());
    }
    int count = 0;
    for (Catalog.Constraint constraint : shadow.constraints()) {
      if ("c".equals(constraint.kind())) {
        continue;
      }
      count++;
      String table = Sql.qualified(schema, constraint.table());
      String definition = definitions.apply(constraint.definition());
      String add = "ALTER TABLE ONLY " + table + " ADD CONSTRAINT " + Sql.ident(constraint.name()) + " " + definition;
      if (!"f".equals(constraint.kind())) {
        keysAndIndexes.get(constraint.table()).add(new Statement(constraint.table(), add));
        continue;
      }
      referenced.computeIfAbsent(constraint.table(), t -> new HashSet<>()).add(referencedTable(constraint.name(), definition));
      ForeignKeys group = foreignKeys.computeIfAbsent(constraint.table(),
        t -> new ForeignKeys(t, new ArrayList<>(), new ArrayList<>()));
      if (definition.endsWith(" NOT VALID")) {
        group.add().add(add);
      } else {
        group.add().add(add + " NOT VALID");
        count++;
        group.validate().add("ALTER TABLE ONLY " + table + " VALIDATE CONSTRAINT " + Sql.ident(constraint.name()));
      }
    }
    for (Catalog.Index index : shadow.indexes()) {
      keysAndIndexes.get(index.table()).add(new Statement(index.table(), definitions.apply(index.definition())));
    }
    keysAndIndexes.forEach((table, list) -> unbuilt.put(table, list.size()));
    referenced.forEach((table, targets) -> {
      if (!keysAndIndexes.keySet().containsAll(targets)) {
        // Its foreign keys would wait for a table that never loads, and be lost.
        throw new IllegalStateException("a foreign key of table " + table + " references a table outside " + schema);
      }
    });
    this.statements = count + shadow.indexes().size();
  }

  /** The number of statements that rebuild keys, indexes and foreign keys, for progress. */
  int statements() {
    return statements;
  }

  /**
   * Drops the keys and indexes of {@code schema} (its catalog {@code shadow}) in one transaction sent in one round
   * trip: one commit to wait for, and no answer awaited per statement. Returns what rebuilds them.
   */
  static Rebuilds dropFrom(Connection c, String schema, Catalog shadow) throws SQLException {
    List<Catalog.Constraint> keys = shadow.constraints().stream().filter(k -> !"c".equals(k.kind())).toList();
    List<String> drops = new ArrayList<>();
    // Foreign keys come last in the catalog's list and must go first.
    for (int i = keys.size() - 1; i >= 0; i--) {
      Catalog.Constraint constraint = keys.get(i);
      drops.add("ALTER TABLE " + Sql.qualified(schema, constraint.table()) + " DROP CONSTRAINT " + Sql.ident(constraint.name()));
    }
    shadow.indexes().forEach(index -> drops.add("DROP INDEX " + Sql.qualified(schema, index.name())));
    c.setAutoCommit(false);
    if (!drops.isEmpty()) {
      try (java.sql.Statement s = c.createStatement()) {
        s.execute(String.join(";\n", drops));
      }
    }
    c.commit();
    c.setAutoCommit(true);
    return new Rebuilds(schema, shadow, UnaryOperator.identity());
  }

  /**
   * What rebuilds the keys and indexes {@link #dropFrom} dropped from schema {@code from} (its catalog
   * {@code shadow}, read there), once that schema has been renamed to {@code to}. PostgreSQL prints the schema of
   * a table in an index's definition and in a foreign key's reference only; both names are podvault's own, which
   * it prints without quotes.
   */
  static Rebuilds renamed(String from, String to, Catalog shadow) {
    return new Rebuilds(to, shadow, definition -> {
      String renamed = definition.replace(" ON " + from + ".", " ON " + to + ".")
        .replace("REFERENCES " + from + ".", "REFERENCES " + to + ".");
      if (renamed.contains(from)) {
        throw new IllegalStateException("a definition names schema " + from + " where it was not expected: " + definition);
      }
      return renamed;
    });
  }

  private static String referencedTable(String foreignKey, String definition) {
    Matcher m = REFERENCES.matcher(definition);
    if (!m.find()) {
      throw new IllegalStateException("cannot read the table foreign key " + foreignKey + " references: " + definition);
    }
    String name = m.group(1);
    return name.startsWith("\"") ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name;
  }

  /** The tables whose foreign keys have not been released: none once every table is built. */
  synchronized Set<String> foreignKeysLeft() {
    return Set.copyOf(foreignKeys.keySet());
  }

  /** Every table of the schema. */
  synchronized List<String> tables() {
    return List.copyOf(keysAndIndexes.keySet());
  }

  /** The keys and indexes to build on {@code table} now that its rows are in. */
  synchronized List<Statement> loaded(String table) {
    return List.copyOf(keysAndIndexes.get(table));
  }

  /**
   * One key or index of {@code table} (none when {@code statement} is null: a table with no keys or indexes)
   * is built; returns the foreign keys that can now be checked.
   */
  synchronized List<ForeignKeys> built(String table, Statement statement) {
    int left = unbuilt.merge(table, statement == null ? 0 : -1, Integer::sum);
    if (left > 0 || !built.add(table)) {
      return List.of();
    }
    List<ForeignKeys> ready = new ArrayList<>();
    for (var it = foreignKeys.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      if (built.contains(entry.getKey()) && built.containsAll(referenced.get(entry.getKey()))) {
        ready.add(entry.getValue());
        it.remove();
      }
    }
    return ready;
  }
}
