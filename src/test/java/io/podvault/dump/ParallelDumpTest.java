package io.podvault.dump;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.Sql;
import io.podvault.dump.Catalog.Table;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

@DisplayName("Rows read on several connections side by side")
class ParallelDumpTest {

  private static final String PASSWORD = TestPostgres.PASSWORD;
  private static DbCoordinates db;

  @TempDir
  Path dir;

  @BeforeAll
  static void fill() throws Exception {
    db = TestPostgres.freshDatabase();
    Migrations.migrate(db, SchemaCheck.adoption(db));
    try (Connection c = Connections.open(db)) {
      PinePodsData.fill(c, 7);
      PinePodsData.fillLarge(c, 20_000, 40_000);
    }
  }

  @Test
  @DisplayName("three readers, large tables in page ranges: every table's rows exactly as one COPY of the whole table gives them, "
    + "and the same file as one reader")
  void sameFileAsOneReader() throws Exception {
    assertThat(pages("Episodes")).as("Episodes must be read in ranges: two at least, and within a quarter of the shared buffers")
      .isGreaterThanOrEqualTo(2 * CopyPlan.RANGE_PAGES).isLessThanOrEqualTo(sharedBufferPages() / 4);
    Path parallel = dump(RowReaders.open(db, 3), DumpFormat.PODVAULT);
    Path single = dump(RowReaders.open(db, 1), DumpFormat.PODVAULT);
    assertThat(withoutCreationAndTrailer(parallel)).isEqualTo(withoutCreationAndTrailer(single));

    String file = Files.readString(parallel);
    try (Connection c = Connections.open(db)) {
      List<Table> tables = new CatalogReader(c, Migrations.APP_SCHEMA).read().tables();
      assertThat(tables).hasSizeGreaterThan(40);
      for (Table table : tables) {
        assertThat(rowsInFile(file, table)).as("rows of " + table.name()).isEqualTo(wholeTableCopy(c, table));
      }
    }
  }

  @Test
  @DisplayName("PinePods' format read by three readers is the file one reader writes")
  void pinePodsFormat() throws Exception {
    Path parallel = dump(RowReaders.open(db, 3), DumpFormat.PINEPODS);
    Path single = dump(RowReaders.open(db, 1), DumpFormat.PINEPODS);
    assertThat(Files.mismatch(parallel, single)).isEqualTo(-1);
  }

  @Test
  @DisplayName("a reader's session ended mid-dump fails the dump before its trailer and closes every connection")
  void readerKilled() throws Exception {
    Path file = dir.resolve("killed.sql");
    try (Connection c = Connections.open(db, Connections.Kind.SNAPSHOT); OutputStream out = Files.newOutputStream(file)) {
      Dumper dumper = new Dumper(c, RowReaders.open(db, 2), PASSWORD, DumpFormat.PODVAULT, NO_PROGRESS);
      OutputStream killingOut = new OutputStream() {
        private boolean killed;

        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
          out.write(bytes, offset, length);
          if (!killed) {
            killed = true;
            terminateOneReader(); // the readers hold their blocks full, their COPY statements not read to the end
          }
        }
      };
      // The server's message, or, when its session ended while blocked sending rows, the connection's end.
      assertThatThrownBy(() -> dumper.dump(killingOut))
        .hasMessageMatching("(?s).*(terminating connection due to administrator command|the database closed the connection).*");
    }
    assertThat(Files.readString(file)).startsWith("-- podvault server backup").doesNotContain("-- podvault trailer:");
    assertThat(copySessions()).as("sessions still reading rows").isZero();
  }

  private Path dump(RowReaders readers, DumpFormat format) throws Exception {
    Path file = Files.createTempFile(dir, "dump", ".sql");
    try (Connection c = Connections.open(db, Connections.Kind.SNAPSHOT); OutputStream out = Files.newOutputStream(file)) {
      new Dumper(c, readers, PASSWORD, format, NO_PROGRESS).dump(out);
    }
    return file;
  }

  private static String withoutCreationAndTrailer(Path file) throws IOException {
    return Files.readString(file).replaceFirst("-- created_at: [^\n]*\n", "").replaceFirst("-- podvault trailer: [^\n]*\n$", "");
  }

  /** The lines between a table's COPY ... FROM stdin and its end-of-data line. */
  private static String rowsInFile(String file, Table table) {
    String start = "COPY " + Sql.qualified(Migrations.APP_SCHEMA, table.name()) + " (";
    int copy = file.indexOf(start);
    int from = file.indexOf("FROM stdin;\n", copy) + "FROM stdin;\n".length();
    int end = file.indexOf("\\.\n", from);
    while (end > from && file.charAt(end - 1) != '\n') {
      end = file.indexOf("\\.\n", end + 1);
    }
    return file.substring(from, end);
  }

  private static String wholeTableCopy(Connection c, Table table) throws Exception {
    String columns = String.join(", ", table.copyColumns().stream().map(col -> Sql.ident(col.name())).toList());
    ByteArrayOutputStream rows = new ByteArrayOutputStream();
    c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + Sql.qualified(Migrations.APP_SCHEMA, table.name())
      + " (" + columns + ") TO STDOUT", rows);
    return rows.toString(StandardCharsets.UTF_8);
  }

  private static long pages(String table) throws Exception {
    try (Connection c = Connections.open(db); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT pg_relation_size('public.\"" + table + "\"') / 8192")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Ends the session of a reader whose last statement was a COPY: in the middle of it, or with its rows sent and
   * waiting in the socket for the reader to take them. A reader may be between two statements for a moment.
   */
  private static long sharedBufferPages() throws Exception {
    try (Connection c = Connections.open(db); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void terminateOneReader() throws IOException {
    try (Connection c = Connections.open(db); Statement s = c.createStatement()) {
      for (int attempt = 0; attempt < 200; attempt++) {
        try (ResultSet rs = s.executeQuery("SELECT bool_or(pg_terminate_backend(pid)) FROM (SELECT pid FROM pg_stat_activity "
          + "WHERE datname = current_database() AND query LIKE 'COPY%' LIMIT 1) reader")) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        Thread.sleep(10);
      }
      throw new IllegalStateException("no reader was in a COPY");
    } catch (java.sql.SQLException | InterruptedException e) {
      throw new IOException(e);
    }
  }

  private static long copySessions() throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    for (;;) {
      try (Connection c = Connections.open(db); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
             + "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
        rs.next();
        if (rs.getLong(1) == 0 || System.nanoTime() > deadline) {
          return rs.getLong(1);
        }
      }
      Thread.sleep(50);
    }
  }

  private static final Dumper.Listener NO_PROGRESS = new Dumper.Listener() {
    @Override
    public void planned(List<Dumper.TableCount> tables) {
    }

    @Override
    public void tableStarted(String table, long rowsTotal) {
    }

    @Override
    public void rowsCopied(String table, long rowsDoneInTable) {
    }

    @Override
    public void tableFinished(String table) {
    }
  };
}
