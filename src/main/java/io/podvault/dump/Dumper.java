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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a backup of the application schema from one consistent snapshot, in either {@link DumpFormat}:
 * podvault's (header, schema, every row through COPY, sequence values, constraints and indexes, then the
 * sealed trailer) or PinePods' data-only file ({@link PinePodsScript}). The JDBC connection holds the snapshot,
 * reads the catalog once ({@link #begin}) and counts rows; the {@link RowReaders} join the snapshot, count the
 * rest and read the rows side by side, which this class writes in the file's order. The caller owns the JDBC
 * connection (of kind {@code SNAPSHOT}, which no server-wide timeout ends while it sits idle in its transaction);
 * the dump closes the readers when it ends.
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

  /** What the header of podvault's file says: when it was made, the schema version, and the rows it holds. */
  public record Header(String createdAt, String schemaVersion, long rows) {
  }

  /** The rows being read, with the counts that the header waits for. */
  private record Reading(RowCounts counting, CopyPlan plan, RowReaders.Rows rows) {
  }

  /** Small writes are gathered into blocks this large, each hashed at once (when the file is sealed) and handed on whole. */
  private static final int BUFFER_BYTES = RowReaders.BLOCK_BYTES;
  private static final String SCHEMA = Migrations.APP_SCHEMA;
  private static final String BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  /** Each table's size in pages, with the shared buffers' (in pages too) on every row. */
  private static final String TABLE_PAGES =
    "SELECT c.relname, pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::bigint, "
      + "(SELECT s.setting::bigint FROM pg_catalog.pg_settings s WHERE s.name = 'shared_buffers') "
      + "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = ? AND c.relkind IN ('r', 'p')";

  private final Connection connection;
  private final RowReaders readers;
  private final String password;
  private final DumpFormat format;
  private final Listener listener;
  private Catalog catalog;
  private Header header;

  /** A dump whose rows are read on one connection, which it closes when it ends. */
  public Dumper(Connection connection, CopyOutConnection rows, String password, DumpFormat format, Listener listener) {
    this(connection, RowReaders.using(List.of(rows)), password, format, listener);
  }

  /** @param password seals podvault's file; PinePods' file is not sealed */
  public Dumper(Connection connection, RowReaders readers, String password, DumpFormat format, Listener listener) {
    this.connection = connection;
    this.readers = readers;
    this.password = password;
    this.format = format;
    this.listener = listener;
  }

  /**
   * Begins the snapshot, reads its catalog and locks its tables, once: a check of the schema before the dump reads
   * the same catalog as the dump.
   */
  public Catalog begin() throws SQLException {
    if (catalog == null) {
      // Autocommit stays on: the explicit BEGIN is what sets the snapshot's isolation and read-only mode.
      try (Statement s = connection.createStatement()) {
        s.execute(BEGIN_SNAPSHOT);
        Catalog read = new CatalogReader(connection, SCHEMA).read();
        lockTables(s, read);
        catalog = read;
      }
    }
    return catalog;
  }

  /** The header of podvault's file, once the dump has written it; null before, and for PinePods' file. */
  public Header header() {
    return header;
  }

  /** Writes the whole file to {@code out}; a sealed file's trailer is written only when everything before it was. */
  public void dump(OutputStream out) throws SQLException, IOException {
    try (Statement s = connection.createStatement()) {
      begin();
      if (format == DumpFormat.PINEPODS) {
        dumpForPinePods(s, out);
      } else {
        dumpSealed(s, out);
      }
    } catch (SQLException | IOException | RuntimeException e) {
      rollbackQuietly();
      throw e;
    } finally {
      readers.close();
    }
  }

  private void dumpSealed(Statement s, OutputStream out) throws SQLException, IOException {
    // A key this process has not derived yet is derived beside the row counts, which wait on the server.
    SealingKey.Sealing sealing = SealingKey.forBackup(connection, password);
    Reading reading = startReading(s, catalog.tables());
    List<TableCount> counts = reading.counting().finish(s, catalog.tables());
    listener.planned(counts);

    MessageDigest sha256 = Seal.sha256();
    HashingBuffer body = new HashingBuffer(out, sha256, BUFFER_BYTES);
    writeHeader(body, s, counts, sealing.seal());
    SchemaScript script = new SchemaScript(catalog, SCHEMA);
    writeStatements(body, BackupFormat.PROLOGUE);
    writeStatements(body, script.preData());
    for (int i = 0; i < catalog.tables().size(); i++) {
      Table table = catalog.tables().get(i);
      write(body, script.copyFrom(table) + "\n");
      copyRows(body, reading, i, table, counts.get(i).rows());
    }
    writeStatements(body, script.sequenceValues());
    writeStatements(body, script.postData());
    commit(s, body);

    byte[] digest = sha256.digest();
    JsonObject trailer = new JsonObject()
      .put(BackupFormat.TRAILER_SHA256, BackupFormat.HEX.formatHex(digest))
      .put(BackupFormat.TRAILER_HMAC, BackupFormat.HEX.formatHex(Seal.hmac(RowReaders.await(sealing.key()), digest)));
    out.write((BackupFormat.TRAILER_PREFIX + trailer.encode() + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void dumpForPinePods(Statement s, OutputStream out) throws SQLException, IOException {
    PinePodsScript script = PinePodsScript.read(connection, catalog, SCHEMA);
    List<Table> tables = script.tables();
    Reading reading = startReading(s, tables);
    List<TableCount> counts = reading.counting().finish(s, tables);
    listener.planned(counts);

    HashingBuffer body = new HashingBuffer(out, null, BUFFER_BYTES);
    write(body, script.header(serverVersion(s)));
    for (int i = 0; i < tables.size(); i++) {
      Table table = tables.get(i);
      write(body, script.beforeRows(table, i == 0));
      copyRows(body, reading, i, table, counts.get(i).rows());
      write(body, script.afterRows(table));
    }
    write(body, script.sequenceValues());
    write(body, script.footer());
    commit(s, body);
  }

  /**
   * Brings the readers into this transaction's snapshot, gives each its share of the row counts, then every COPY
   * of {@code tables}: they read ahead while the header waits for the counts.
   */
  private Reading startReading(Statement s, List<Table> tables) throws SQLException, IOException {
    String snapshot;
    try (ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_export_snapshot()")) {
      rs.next();
      snapshot = rs.getString(1);
    }
    readers.joinSnapshot(snapshot, BEGIN_SNAPSHOT);
    Map<String, Long> pages = new HashMap<>();
    long sharedBufferPages = 0;
    try (PreparedStatement ps = connection.prepareStatement(TABLE_PAGES)) {
      ps.setString(1, SCHEMA);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pages.put(rs.getString(1), rs.getLong(2));
          sharedBufferPages = rs.getLong(3);
        }
      }
    }
    RowCounts counting = RowCounts.start(SCHEMA, tables, pages, readers);
    CopyPlan plan = new CopyPlan(SCHEMA, tables, pages, sharedBufferPages, connection.getMetaData().getDatabaseMajorVersion());
    return new Reading(counting, plan, readers.read(plan.copies()));
  }

  /** Every transaction must have lasted to the end: a file is whole and consistent only then. */
  private void commit(Statement s, OutputStream body) throws SQLException, IOException {
    body.flush();
    readers.commit();
    s.execute("COMMIT");
  }

  /** Keeps the tables from being altered or dropped while they are read, as pg_dump does. */
  private static void lockTables(Statement s, Catalog catalog) throws SQLException {
    if (catalog.tables().isEmpty()) {
      return;
    }
    List<String> names = catalog.tables().stream().map(t -> Sql.qualified(SCHEMA, t.name())).toList();
    s.execute("LOCK TABLE " + String.join(", ", names) + " IN ACCESS SHARE MODE");
  }

  private void writeHeader(OutputStream body, Statement s, List<TableCount> counts, Seal seal)
    throws SQLException, IOException {
    String schemaVersion;
    try (ResultSet rs = s.executeQuery(Migrations.currentVersionQuery(SCHEMA))) {
      schemaVersion = rs.next() ? rs.getString(1) : null;
    }
    if (schemaVersion == null) {
      throw new SQLException("the database has no recorded schema version; is this podvault's database?");
    }
    String createdAt = Instant.now().toString();
    StringBuilder text = new StringBuilder(BackupFormat.FIRST_LINE).append('\n');
    text.append(line(BackupFormat.KEY_FORMAT_VERSION, BackupFormat.FORMAT_VERSION));
    text.append(line(BackupFormat.KEY_SCHEMA_VERSION, schemaVersion));
    text.append(line(BackupFormat.KEY_POSTGRESQL_VERSION, serverVersion(s)));
    text.append(line(BackupFormat.KEY_CREATED_AT, createdAt));
    text.append(line(BackupFormat.KEY_KDF, seal.toJson()));
    for (TableCount count : counts) {
      text.append(line(BackupFormat.KEY_TABLE, new JsonObject().put("name", count.name()).put("rows", count.rows())));
    }
    text.append(BackupFormat.END_OF_HEADER).append("\n\n");
    write(body, text.toString());
    header = new Header(createdAt, schemaVersion, counts.stream().mapToLong(TableCount::rows).sum());
  }

  private static String serverVersion(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String line(String key, Object value) {
    String json = value instanceof JsonObject o ? o.encode() : io.vertx.core.json.Json.encode(value);
    return BackupFormat.HEADER_PREFIX + key + ": " + json + "\n";
  }

  private static void writeStatements(OutputStream body, List<String> statements) throws IOException {
    write(body, SchemaScript.text(statements));
  }

  private static void write(OutputStream body, String text) throws IOException {
    body.write(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A table's rows, each line as COPY writes it, then the end-of-data line and a blank line. */
  private void copyRows(OutputStream body, Reading reading, int index, Table table, long expected)
    throws SQLException, IOException {
    listener.tableStarted(table.name(), expected);
    long copied = 0;
    for (int copy = reading.plan().first(index); copy < reading.plan().end(index); copy++) {
      RowReaders.Block block = reading.rows().take(copy);
      while (!block.end) {
        body.write(block.bytes, 0, block.length);
        listener.rowsCopied(table.name(), copied + block.rows);
        reading.rows().release(block);
        block = reading.rows().take(copy);
      }
      copied += block.rows;
    }
    if (copied != expected) {
      throw new SQLException("table " + table.name() + " gave " + copied + " rows where the snapshot counted " + expected);
    }
    write(body, BackupFormat.END_OF_COPY + "\n\n");
    listener.rowsCopied(table.name(), copied);
    listener.tableFinished(table.name());
  }

  private void rollbackQuietly() {
    readers.close(); // a transaction that only read ends with its session
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
