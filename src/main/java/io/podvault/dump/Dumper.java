package io.podvault.dump;

import io.podvault.db.CopyOutConnection;
import io.podvault.db.Migrations;
import io.podvault.db.Sql;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Writes a complete backup of the application schema from one consistent snapshot: header, schema, every
 * row through COPY, sequence values, constraints and indexes, then the sealed trailer. Two connections share
 * the snapshot: the JDBC one reads the catalog and counts the rows, the {@link CopyOutConnection} streams the
 * rows. The caller owns both (the JDBC one of kind {@code SNAPSHOT}, which no server-wide timeout ends while it
 * sits idle in its transaction); {@link #dump} opens and ends the snapshot's transactions on them.
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
      s.execute(BEGIN_SNAPSHOT);
      shareSnapshot(s);
      RowCounts counting = RowCounts.start(s, rows);
      Catalog catalog = new CatalogReader(connection, SCHEMA).read();
      lockTables(s, catalog);
      List<TableCount> counts = counting.finish(s, catalog);
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

  private void writeHeader(OutputStream body, Statement s, Catalog catalog, List<TableCount> counts, Seal seal)
    throws SQLException, IOException {
    String schemaVersion;
    try (ResultSet rs = s.executeQuery(Migrations.currentVersionQuery(SCHEMA))) {
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
