package io.podvault.dump;

import io.podvault.db.CopyOutConnection;
import io.podvault.db.Migrations;
import io.podvault.dump.Catalog.Table;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes a complete backup of the application schema from one consistent snapshot: header, schema, every
 * row through COPY, sequence values, constraints and indexes, then the sealed trailer. Two connections share
 * the snapshot: the JDBC one reads the catalog and counts the rows, the {@link CopyOutConnection} streams the
 * rows. The caller owns both; {@link #dump} opens and ends the snapshot's transactions on them.
 */
public final class Dumper {

  /** What the dump reports as it goes; called on the dumping thread. */
  public interface Listener {

    void planned(List<TableCount> tables);

    void tableStarted(String table, long rowsTotal);

    void rowsCopied(String table, long rowsDoneInTable);

    void tableFinished(String table);
  }

  public record TableCount(String name, long rows) {
  }

  /** Rows between two progress reports; small enough for smooth bars, large enough to cost nothing. */
  private static final int REPORT_EVERY_ROWS = 2_000;
  /** Rows are gathered into blocks this large, each hashed at once and handed on whole. */
  private static final int BUFFER_BYTES = 256 * 1024;
  private static final String SCHEMA = Migrations.APP_SCHEMA;
  private static final String BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  /**
   * Steers count(*) to an index-only scan of a key where there is one: it reads the index and the visibility
   * map instead of every wide row, which the COPY that follows reads anyway. That makes a table without an
   * index look enormously costly to the planner, which would then compile the count with LLVM (50-70 ms
   * here, even for an empty table): JIT is off for the counts.
   */
  private static final String COUNT_SETTINGS = "SET LOCAL enable_seqscan = off; SET LOCAL jit = off;\n";
  private static final String DEFAULT_SETTINGS = "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL jit TO DEFAULT";
  /** Estimated rows (pages where a table was never analyzed); only to share the counting out evenly. */
  private static final String TABLE_SIZES =
    "SELECT c.relname, greatest(c.reltuples::bigint, c.relpages::bigint) FROM pg_class c "
      + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = " + Sql.literal(SCHEMA)
      + " AND c.relkind IN ('r', 'p')";

  private final Connection connection;
  private final CopyOutConnection rows;
  private final String password;
  private final Listener listener;

  public Dumper(Connection connection, CopyOutConnection rows, String password, Listener listener) {
    this.connection = connection;
    this.rows = rows;
    this.password = password;
    this.listener = listener;
  }

  /** Writes the whole backup to {@code out}; the trailer is written only when everything before it was. */
  public void dump(OutputStream out) throws SQLException, IOException {
    // Autocommit stays on: the explicit BEGIN is what sets the snapshot's isolation and read-only mode.
    try (Statement s = connection.createStatement()) {
      // The slow key derivation runs beside the catalog read and the row counts, which wait on the server.
      Seal seal = Seal.fresh();
      CompletableFuture<byte[]> key = CompletableFuture.supplyAsync(() -> seal.key(password));
      // This connection sits idle in its transaction while the rows stream; a server-wide timeout must not
      // end it and the snapshot with it.
      s.execute("SET idle_in_transaction_session_timeout = 0");
      s.execute("SET statement_timeout = 0");
      s.execute(BEGIN_SNAPSHOT);
      shareSnapshot(s);
      Catalog catalog = new CatalogReader(connection, SCHEMA).read();
      lockTables(s, catalog);
      List<TableCount> counts = countRows(s, catalog);
      listener.planned(counts);

      MessageDigest sha256 = Seal.sha256();
      HashingBuffer body = new HashingBuffer(out, sha256, BUFFER_BYTES);
      writeHeader(body, s, catalog, counts, seal);
      SchemaScript script = new SchemaScript(catalog, SCHEMA);
      writeStatements(body, BackupFormat.PROLOGUE);
      writeStatements(body, script.preData());
      for (int i = 0; i < catalog.tables().size(); i++) {
        copyTable(body, script, catalog.tables().get(i), counts.get(i).rows());
      }
      writeStatements(body, script.sequenceValues());
      writeStatements(body, script.postData());
      body.flush();
      // Both transactions must have lasted to the end: a file is sealed only when it is whole and consistent.
      rows.execute("COMMIT");
      s.execute("COMMIT");

      byte[] digest = sha256.digest();
      JsonObject trailer = new JsonObject()
        .put(BackupFormat.TRAILER_SHA256, BackupFormat.HEX.formatHex(digest))
        .put(BackupFormat.TRAILER_HMAC, BackupFormat.HEX.formatHex(Seal.hmac(key.join(), digest)));
      out.write((BackupFormat.TRAILER_PREFIX + trailer.encode() + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (SQLException | IOException | RuntimeException e) {
      rollbackQuietly();
      throw e;
    }
  }

  /** Starts the rows' connection in this transaction's snapshot, so both see the same data. */
  private void shareSnapshot(Statement s) throws SQLException, IOException {
    String snapshot;
    try (ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_export_snapshot()")) {
      rs.next();
      snapshot = rs.getString(1);
    }
    rows.execute(BEGIN_SNAPSHOT);
    rows.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(snapshot));
  }

  /** Keeps the tables from being altered or dropped while they are read, as pg_dump does. */
  private static void lockTables(Statement s, Catalog catalog) throws SQLException {
    if (catalog.tables().isEmpty()) {
      return;
    }
    List<String> names = catalog.tables().stream().map(t -> Sql.qualified(SCHEMA, t.name())).toList();
    s.execute("LOCK TABLE " + String.join(", ", names) + " IN ACCESS SHARE MODE");
  }

  /**
   * Counts every table's rows in the snapshot, on both connections at once: the rows' connection takes the
   * larger tables in one submitted batch while this one counts the rest, which halves the wait before the
   * first byte when one or two tables hold most rows.
   */
  private List<TableCount> countRows(Statement s, Catalog catalog) throws SQLException, IOException {
    List<Table> theirs = new ArrayList<>();
    List<Table> ours = new ArrayList<>();
    splitBySize(s, catalog.tables(), theirs, ours);
    StringBuilder batch = new StringBuilder(COUNT_SETTINGS);
    theirs.forEach(table -> batch.append(countQuery(table)).append(";\n"));
    rows.submit(batch.append(DEFAULT_SETTINGS).toString());

    Map<String, Long> counts = new HashMap<>();
    s.execute(COUNT_SETTINGS);
    for (Table table : ours) {
      try (ResultSet rs = s.executeQuery(countQuery(table))) {
        rs.next();
        counts.put(table.name(), rs.getLong(1));
      }
    }
    s.execute(DEFAULT_SETTINGS);
    List<Long> theirCounts = rows.readNumbers();
    for (int i = 0; i < theirs.size(); i++) {
      counts.put(theirs.get(i).name(), theirCounts.get(i));
    }
    return catalog.tables().stream().map(t -> new TableCount(t.name(), counts.get(t.name()))).toList();
  }

  private static String countQuery(Table table) {
    return "SELECT count(*) FROM " + Sql.qualified(SCHEMA, table.name());
  }

  /** Deals the tables, largest first, to whichever side has the fewer rows so far (by the planner's estimate). */
  private static void splitBySize(Statement s, List<Table> tables, List<Table> first, List<Table> second)
    throws SQLException {
    Map<String, Long> sizes = new HashMap<>();
    try (ResultSet rs = s.executeQuery(TABLE_SIZES)) {
      while (rs.next()) {
        sizes.put(rs.getString(1), rs.getLong(2));
      }
    }
    long firstSize = 0;
    long secondSize = 0;
    List<Table> bySize = new ArrayList<>(tables);
    bySize.sort(Comparator.comparingLong((Table t) -> sizes.getOrDefault(t.name(), 0L)).reversed());
    for (Table table : bySize) {
      long size = sizes.getOrDefault(table.name(), 0L);
      if (firstSize <= secondSize) {
        first.add(table);
        firstSize += size;
      } else {
        second.add(table);
        secondSize += size;
      }
    }
  }

  private void writeHeader(OutputStream body, Statement s, Catalog catalog, List<TableCount> counts, Seal seal)
    throws SQLException, IOException {
    String schemaVersion;
    try (ResultSet rs = s.executeQuery(Migrations.CURRENT_VERSION)) {
      schemaVersion = rs.next() ? rs.getString(1) : null;
    }
    if (schemaVersion == null) {
      throw new SQLException("the database has no recorded schema version; is this podvault's database?");
    }
    String serverVersion;
    try (ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      serverVersion = rs.getString(1);
    }
    StringBuilder header = new StringBuilder(BackupFormat.FIRST_LINE).append('\n');
    header.append(line(BackupFormat.KEY_FORMAT_VERSION, BackupFormat.FORMAT_VERSION));
    header.append(line(BackupFormat.KEY_SCHEMA_VERSION, schemaVersion));
    header.append(line(BackupFormat.KEY_POSTGRESQL_VERSION, serverVersion));
    header.append(line(BackupFormat.KEY_CREATED_AT, Instant.now().toString()));
    header.append(line(BackupFormat.KEY_KDF, seal.toJson()));
    for (TableCount count : counts) {
      header.append(line(BackupFormat.KEY_TABLE, new JsonObject().put("name", count.name()).put("rows", count.rows())));
    }
    header.append(BackupFormat.END_OF_HEADER).append("\n\n");
    body.write(header.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String line(String key, Object value) {
    String json = value instanceof JsonObject o ? o.encode() : io.vertx.core.json.Json.encode(value);
    return BackupFormat.HEADER_PREFIX + key + ": " + json + "\n";
  }

  private static void writeStatements(OutputStream body, List<String> statements) throws IOException {
    body.write(SchemaScript.text(statements).getBytes(StandardCharsets.UTF_8));
  }

  private void copyTable(OutputStream body, SchemaScript script, Table table, long expected)
    throws SQLException, IOException {
    listener.tableStarted(table.name(), expected);
    body.write((script.copyFrom(table) + "\n").getBytes(StandardCharsets.UTF_8));
    long copied = rows.copyOut(script.copyTo(table), body, REPORT_EVERY_ROWS, n -> listener.rowsCopied(table.name(), n));
    if (copied != expected) {
      throw new SQLException("table " + table.name() + " gave " + copied + " rows where the snapshot counted " + expected);
    }
    body.write((BackupFormat.END_OF_COPY + "\n\n").getBytes(StandardCharsets.UTF_8));
    listener.rowsCopied(table.name(), copied);
    listener.tableFinished(table.name());
  }

  private void rollbackQuietly() {
    rows.close(); // a transaction that only read ends with its session
    try {
      if (!connection.isClosed()) {
        try (Statement s = connection.createStatement()) {
          s.execute("ROLLBACK");
        }
      }
    } catch (SQLException ignored) {
      // the connection is already gone; the server ended the transaction with it
    }
  }
}
