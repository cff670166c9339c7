package io.podvault.dump;

import java.util.List;

/**
 * What one schema holds, read from PostgreSQL's catalog inside the backup's snapshot. Definitions are the
 * server's own ({@code pg_get_*def}, {@code format_type}) read with an empty search_path, so every name
 * in them is schema-qualified.
 */
public record Catalog(
  List<String> types,
  List<String> functions,
  List<Sequence> sequences,
  List<Table> tables,
  List<String> views,
  List<Constraint> constraints,
  List<Index> indexes,
  List<String> triggers,
  List<String> comments) {

  /**
   * This catalog as read from schema {@code from} with every schema-qualified name in its definitions naming
   * {@code to} instead: how a copy built in a scratch schema compares with the live one.
   */
  public Catalog renamed(String from, String to) {
    java.util.function.UnaryOperator<String> r = text -> text == null ? null : text.replace(from + ".", to + ".");
    return new Catalog(types.stream().map(r).toList(), functions.stream().map(r).toList(),
      sequences, tables.stream().map(t -> new Table(t.oid(), t.name(), t.columns().stream()
        .map(c -> new Column(c.name(), r.apply(c.type()), c.notNull(), r.apply(c.defaultExpr()), c.identity(),
          r.apply(c.generatedExpr()), r.apply(c.collation()))).toList())).toList(),
      views.stream().map(r).toList(),
      constraints.stream().map(c -> new Constraint(c.table(), c.name(), c.kind(), r.apply(c.definition()))).toList(),
      indexes.stream().map(i -> new Index(i.table(), i.name(), r.apply(i.definition()))).toList(),
      triggers.stream().map(r).toList(), comments.stream().map(r).toList());
  }

  public record Table(long oid, String name, List<Column> columns) {

    /** The columns a COPY carries: generated columns are computed, not stored in the file. */
    public List<Column> copyColumns() {
      return columns.stream().filter(c -> !c.generated()).toList();
    }
  }

  /**
   * @param identity 'a' (ALWAYS), 'd' (BY DEFAULT) or empty
   * @param generatedExpr the expression of a stored generated column, else null
   */
  public record Column(String name, String type, boolean notNull, String defaultExpr, String identity,
                       String generatedExpr, String collation) {

    public boolean generated() {
      return generatedExpr != null;
    }
  }

  /**
   * A sequence with its state in the snapshot. {@code ownerTable}/{@code ownerColumn} are set for serial
   * and identity sequences; {@code identity} marks the latter, which their table's column creates.
   */
  public record Sequence(String name, String type, long start, long increment, long min, long max, long cache,
                         boolean cycle, String ownerTable, String ownerColumn, boolean identity,
                         long lastValue, boolean isCalled) {
  }

  /** An index that backs no constraint, with the server's own definition of it. */
  public record Index(String table, String name, String definition) {
  }

  /** @param kind 'p' primary key, 'u' unique, 'c' check, 'f' foreign key, 'x' exclusion */
  public record Constraint(String table, String name, String kind, String definition) {
  }
}
