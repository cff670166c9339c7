package io.podvault.dump;

import io.podvault.db.CopyOutConnection;
import io.podvault.db.Migrations;
import io.podvault.db.Sql;
import io.podvault.dump.Catalog.Table;
import io.podvault.dump.Dumper.TableCount;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts every table's rows in the dump's snapshot, for the header, on both of its connections at once:
 * {@link #start} deals the tables, largest first, alternately to the two, and hands the COPY connection its
 * share in one batch, which it counts while the JDBC connection reads the catalog; {@link #finish} counts
 * the rest on the JDBC connection and collects the batch's numbers. The header waits about as long as the
 * largest count, not for all of them one after another.
 */
final class RowCounts {

  /**
   * Steers count(*) to an index-only scan of a key where there is one: it reads the index and the visibility
   * map instead of every wide row, which the COPY that follows reads anyway. That makes a table without an
   * index look enormously costly to the planner, which would then compile the count with LLVM (50-70 ms
   * here, even for an empty table): JIT is off for the counts.
   */
  private static final String COUNT_SETTINGS = "SET LOCAL enable_seqscan = off; SET LOCAL jit = off;\n";
  private static final String DEFAULT_SETTINGS = "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL jit TO DEFAULT";
  /** The tables, largest first by the planner's estimate of their rows (pages, where never analyzed). */
  private static final String TABLE_SIZES =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
      + Sql.literal(Migrations.APP_SCHEMA) + " AND c.relkind IN ('r', 'p') ORDER BY greatest(c.reltuples::bigint, c.relpages::bigint) DESC";

  private final CopyOutConnection rows;
  private final List<String> theirs;
  private final List<String> ours;

  private RowCounts(CopyOutConnection rows, List<String> theirs, List<String> ours) {
    this.rows = rows;
    this.theirs = theirs;
    this.ours = ours;
  }

  /** Deals out the tables and starts the COPY connection's share. */
  static RowCounts start(Statement s, CopyOutConnection rows) throws SQLException, IOException {
    List<String> theirs = new ArrayList<>();
    List<String> ours = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(TABLE_SIZES)) {
      while (rs.next()) {
        (theirs.size() <= ours.size() ? theirs : ours).add(rs.getString(1));
      }
    }
    StringBuilder batch = new StringBuilder(COUNT_SETTINGS);
    theirs.forEach(table -> batch.append(countQuery(table)).append(";\n"));
    rows.submit(batch.append(DEFAULT_SETTINGS).toString());
    return new RowCounts(rows, theirs, ours);
  }

  /** Each of {@code tables} with its rows, in that order. */
  List<TableCount> finish(Statement s, List<Table> tables) throws SQLException, IOException {
    Map<String, Long> counts = new HashMap<>();
    s.execute(COUNT_SETTINGS);
    for (String table : ours) {
      try (ResultSet rs = s.executeQuery(countQuery(table))) {
        rs.next();
        counts.put(table, rs.getLong(1));
      }
    }
    s.execute(DEFAULT_SETTINGS);
    List<Long> theirCounts = rows.readNumbers();
    for (int i = 0; i < theirs.size(); i++) {
      counts.put(theirs.get(i), theirCounts.get(i));
    }
    List<TableCount> result = new ArrayList<>();
    for (Table table : tables) {
      Long count = counts.get(table.name());
      if (count == null) {
        throw new SQLException("table " + table.name() + " appeared while the dump started; try again");
      }
      result.add(new TableCount(table.name(), count));
    }
    return result;
  }

  private static String countQuery(String table) {
    return "SELECT count(*) FROM " + Sql.qualified(Migrations.APP_SCHEMA, table);
  }
}
