package io.podvault.dump;

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
import java.util.concurrent.Future;

/**
 * Counts every table's rows in the dump's snapshot, for the header, on all of its connections at once:
 * {@link #start} deals the tables, largest first, to the JDBC connection and each reader, and gives each reader
 * its share in one batch, which it counts before it starts reading; {@link #finish} counts the JDBC connection's
 * share and collects the readers' numbers. The header waits about as long as the largest share, and the readers
 * read ahead as soon as their own share is counted.
 */
final class RowCounts {

  /**
   * Steers count(*) to an index-only scan of a key where there is one: it reads the index and the visibility
   * map instead of every wide row, which the COPY that follows reads anyway. That makes a table without an
   * index look enormously costly to the planner, which would then compile the count with LLVM (50-70 ms
   * here, even for an empty table) if the backup's connections had not turned JIT off ({@link io.podvault.db.Connections}).
   */
  private static final String COUNT_SETTINGS = "SET LOCAL enable_seqscan = off;\n";
  private static final String DEFAULT_SETTINGS = "SET LOCAL enable_seqscan TO DEFAULT";

  private final String schema;
  private final List<String> ours;
  private final List<List<String>> theirs;
  private final List<Future<List<Long>>> theirCounts;

  private RowCounts(String schema, List<String> ours, List<List<String>> theirs, List<Future<List<Long>>> theirCounts) {
    this.schema = schema;
    this.ours = ours;
    this.theirs = theirs;
    this.theirCounts = theirCounts;
  }

  /** Deals out the tables by their size in pages and starts the readers' shares. */
  static RowCounts start(String schema, List<Table> tables, Map<String, Long> pages, RowReaders readers)
    throws SQLException {
    List<String> largestFirst = tables.stream().map(Table::name)
      .sorted(Comparator.comparingLong((String name) -> pages.getOrDefault(name, 0L)).reversed()).toList();
    List<List<String>> shares = new ArrayList<>();
    for (int i = 0; i <= readers.size(); i++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < largestFirst.size(); i++) {
      shares.get(i % shares.size()).add(largestFirst.get(i));
    }
    List<List<String>> theirs = shares.subList(1, shares.size());
    List<Future<List<Long>>> counts = new ArrayList<>();
    for (int i = 0; i < theirs.size(); i++) {
      StringBuilder batch = new StringBuilder(COUNT_SETTINGS);
      theirs.get(i).forEach(table -> batch.append(countQuery(schema, table)).append(";\n"));
      counts.add(readers.numbers(i, batch.append(DEFAULT_SETTINGS).toString()));
    }
    return new RowCounts(schema, shares.get(0), theirs, counts);
  }

  /** Each of {@code tables} with its rows, in that order. */
  List<TableCount> finish(Statement s, List<Table> tables) throws SQLException, IOException {
    Map<String, Long> counts = new HashMap<>();
    if (!ours.isEmpty()) {
      // One query, one round trip, for the whole share: each count is a column of its one row.
      List<String> columns = ours.stream().map(table -> "(" + countQuery(schema, table) + ")").toList();
      s.execute(COUNT_SETTINGS);
      try (ResultSet rs = s.executeQuery("SELECT " + String.join(", ", columns))) {
        rs.next();
        for (int i = 0; i < ours.size(); i++) {
          counts.put(ours.get(i), rs.getLong(i + 1));
        }
      }
      s.execute(DEFAULT_SETTINGS);
    }
    for (int i = 0; i < theirs.size(); i++) {
      List<Long> numbers = RowReaders.await(theirCounts.get(i));
      for (int j = 0; j < theirs.get(i).size(); j++) {
        counts.put(theirs.get(i).get(j), numbers.get(j));
      }
    }
    List<TableCount> result = new ArrayList<>();
    for (Table table : tables) {
      result.add(new TableCount(table.name(), counts.get(table.name())));
    }
    return result;
  }

  private static String countQuery(String schema, String table) {
    return "SELECT count(*) FROM " + Sql.qualified(schema, table);
  }
}
