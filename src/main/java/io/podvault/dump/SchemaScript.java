package io.podvault.dump;

import io.podvault.db.Sql;
import io.podvault.dump.Catalog.Column;
import io.podvault.dump.Catalog.Constraint;
import io.podvault.dump.Catalog.Sequence;
import io.podvault.dump.Catalog.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL that rebuilds a schema in stock psql, in pg_dump's order: types, functions, sequences, tables
 * and views before the data; sequence values after it; then constraints, indexes, foreign keys, triggers
 * and comments, so the rows load into bare tables and each index is built once.
 */
public final class SchemaScript {

  private final Catalog catalog;
  private final String schema;

  public SchemaScript(Catalog catalog, String schema) {
    this.catalog = catalog;
    this.schema = schema;
  }

  /** Statements as the file holds them: each followed by a blank line. */
  public static String text(List<String> statements) {
    StringBuilder text = new StringBuilder();
    for (String statement : statements) {
      text.append(statement).append("\n\n");
    }
    return text.toString();
  }

  public List<String> preData() {
    List<String> statements = new ArrayList<>(catalog.types());
    catalog.functions().forEach(f -> statements.add(f.strip() + ";"));
    for (Sequence s : catalog.sequences()) {
      if (!s.identity()) {
        statements.add("CREATE SEQUENCE " + name(s.name()) + " AS " + s.type() + sequenceOptions(s) + ";");
      }
    }
    catalog.tables().forEach(t -> statements.add(createTable(t)));
    for (Sequence s : catalog.sequences()) {
      if (!s.identity() && s.ownerTable() != null) {
        statements.add("ALTER SEQUENCE " + name(s.name()) + " OWNED BY " + name(s.ownerTable()) + "."
          + Sql.ident(s.ownerColumn()) + ";");
      }
    }
    statements.addAll(catalog.views());
    return statements;
  }

  public List<String> sequenceValues() {
    return catalog.sequences().stream()
      .map(s -> "SELECT pg_catalog.setval(" + Sql.literal(name(s.name())) + ", " + s.lastValue() + ", " + s.isCalled() + ");")
      .toList();
  }

  public List<String> postData() {
    List<String> statements = new ArrayList<>();
    for (Constraint c : catalog.constraints()) {
      statements.add("ALTER TABLE ONLY " + name(c.table()) + " ADD CONSTRAINT " + Sql.ident(c.name()) + " " + c.definition() + ";");
    }
    catalog.indexes().forEach(i -> statements.add(i.definition() + ";"));
    catalog.triggers().forEach(t -> statements.add(t + ";"));
    for (String view : catalog.views()) {
      if (view.startsWith("CREATE MATERIALIZED VIEW ")) {
        statements.add("REFRESH MATERIALIZED VIEW " + view.substring(25, view.indexOf(" AS\n")) + ";");
      }
    }
    statements.addAll(catalog.comments());
    return statements;
  }

  /** {@code COPY schema."Table" (cols) FROM stdin;} as psql reads it. */
  public String copyFrom(Table table) {
    return "COPY " + name(table.name()) + " (" + columnList(table) + ") FROM stdin;";
  }

  private static String columnList(Table table) {
    return String.join(", ", table.copyColumns().stream().map(c -> Sql.ident(c.name())).toList());
  }

  private String createTable(Table table) {
    List<String> lines = new ArrayList<>();
    for (Column c : table.columns()) {
      StringBuilder line = new StringBuilder("    ").append(Sql.ident(c.name())).append(' ').append(c.type());
      if (c.collation() != null) {
        line.append(" COLLATE ").append(c.collation());
      }
      if (c.generated()) {
        line.append(" GENERATED ALWAYS AS (").append(c.generatedExpr()).append(") STORED");
      } else if (c.identity() != null && !c.identity().isEmpty()) {
        line.append(identity(table, c));
      } else if (c.defaultExpr() != null) {
        line.append(" DEFAULT ").append(c.defaultExpr());
      }
      if (c.notNull()) {
        line.append(" NOT NULL");
      }
      lines.add(line.toString());
    }
    return "CREATE TABLE " + name(table.name()) + " (\n" + String.join(",\n", lines) + "\n);";
  }

  private String identity(Table table, Column column) {
    String kind = "a".equals(column.identity()) ? "ALWAYS" : "BY DEFAULT";
    Optional<Sequence> sequence = catalog.sequences().stream()
      .filter(s -> s.identity() && table.name().equals(s.ownerTable()) && column.name().equals(s.ownerColumn()))
      .findFirst();
    return " GENERATED " + kind + " AS IDENTITY" + sequence
      .map(s -> " (SEQUENCE NAME " + name(s.name()) + sequenceOptions(s) + ")").orElse("");
  }

  private static String sequenceOptions(Sequence s) {
    return " START WITH " + s.start() + " INCREMENT BY " + s.increment() + " MINVALUE " + s.min()
      + " MAXVALUE " + s.max() + " CACHE " + s.cache() + (s.cycle() ? " CYCLE" : " NO CYCLE");
  }

  private String name(String object) {
    return Sql.qualified(schema, object);
  }
}
