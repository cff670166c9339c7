package io.podvault.dump;

import io.podvault.db.Sql;
import io.podvault.dump.Catalog.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The COPY statements that read the tables' rows, in the file's order. A large table is read in ranges of
 * its pages, one COPY each, so that several readers share it while the file still gets its rows in the
 * order of one COPY of the whole table: a range scan goes through its pages, and each page's rows, in the
 * same order as a scan of the table, and the ranges follow each other. The last range has no end, so a row
 * is never missed whatever the table's size was when it was measured. Ranges need PostgreSQL 14's scans of
 * row-id ranges; older servers read each table with one COPY.
 *
 * <p>Only a table of at most a quarter of the server's shared buffers is split. A larger one is read by one COPY,
 * whose scan goes through a small ring of buffers, as PostgreSQL's own scans of large tables do; range scans
 * would pass all of its pages through the shared buffers, evicting the live server's pages. Here, with 128 MB of
 * shared buffers, backups of a 414 MiB database whose largest table has 277 MiB were slower with ranges through
 * the API (median 5.3-6.4 s against 3.8-4.8 s, two paired series, load average 4-8), while the database's CPU for
 * the ranges of a 115 MiB table was 0.97 s against 0.60 s for one COPY in a fresh session.
 */
final class CopyPlan {

  /**
   * 8 MiB of a table's pages, whose rows about fill a reader's blocks: the reader of the next range reads it whole
   * meanwhile. Ranges of 256 pages (61 statements for the 15 585 pages of a 110 000-episode table) took the
   * database 0.8-1.0 s of CPU against 0.35-0.5 s for one COPY of the whole table, in two of three rounds here.
   */
  static final long RANGE_PAGES = 1024;
  private static final int FIRST_VERSION_WITH_RANGE_SCANS = 14;

  private final List<String> copies = new ArrayList<>();
  private final List<Integer> firstCopy = new ArrayList<>();

  /**
   * @param pages each table's size in pages, by name
   * @param sharedBufferPages the server's shared buffers, in pages
   * @param serverMajorVersion the server's major version, which decides whether a table may be read in ranges
   */
  CopyPlan(String schema, List<Table> tables, Map<String, Long> pages, long sharedBufferPages, int serverMajorVersion) {
    boolean ranges = serverMajorVersion >= FIRST_VERSION_WITH_RANGE_SCANS;
    for (Table table : tables) {
      firstCopy.add(copies.size());
      long size = pages.getOrDefault(table.name(), 0L);
      if (!ranges || size < 2 * RANGE_PAGES || size > sharedBufferPages / 4) {
        copies.add("COPY " + Sql.qualified(schema, table.name()) + " (" + columns(table) + ") TO STDOUT");
        continue;
      }
      String select = "COPY (SELECT " + columns(table) + " FROM ONLY " + Sql.qualified(schema, table.name()) + " WHERE ctid >= '(";
      for (long start = 0; start < size; start += RANGE_PAGES) {
        boolean last = start + RANGE_PAGES >= size;
        copies.add(select + start + ",0)'::tid" + (last ? "" : " AND ctid < '(" + (start + RANGE_PAGES) + ",0)'::tid") + ") TO STDOUT");
      }
    }
    firstCopy.add(copies.size());
  }

  /** Every COPY, in the file's order. */
  List<String> copies() {
    return copies;
  }

  /** The first of table {@code index}'s COPY statements. */
  int first(int index) {
    return firstCopy.get(index);
  }

  /** One past the last of table {@code index}'s COPY statements. */
  int end(int index) {
    return firstCopy.get(index + 1);
  }

  private static String columns(Table table) {
    return String.join(", ", table.copyColumns().stream().map(c -> Sql.ident(c.name())).toList());
  }
}
