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
