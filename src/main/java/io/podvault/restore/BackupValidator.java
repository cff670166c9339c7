package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Sql;
import io.podvault.dump.BackupFormat;
import io.podvault.dump.Catalog;
import io.podvault.dump.DumpFormat;
import io.podvault.dump.Seal;
import io.podvault.contract.JobFailure;
import io.podvault.restore.BackupHeader.TableEntry;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a whole backup file before anything is changed: that it is a podvault backup of a known format
 * and schema version, complete, undamaged (SHA-256), sealed with the given password (HMAC), that its
 * statements are exactly those podvault writes for that schema version, that it loads only that
 * version's tables and columns, and that every table holds the rows its header promises.
 */
public final class BackupValidator {

  /** Told table by table how far the check has come. */
  public interface Progress {

    /** The header has been read: this many tables and rows follow. */
    void planned(int tables, long rows);

    void tableStarted(String table, long rows);

    void rowsChecked(String table, long delta);

    void tableFinished(String table);

    /** The file has no row counts (a PinePods file): its check goes by bytes, and rows are counted as they come. */
    default void checkingBytes() {
    }

    /** This many bytes of the file have been checked. */
    default void bytesChecked(long bytes) {
    }

    Progress NONE = new Progress() {
      public void planned(int tables, long rows) {
      }

      public void tableStarted(String table, long rows) {
      }

      public void rowsChecked(String table, long delta) {
      }

      public void tableFinished(String table) {
      }
    };
  }

  /**
   * PostgreSQL's own limit: COPY holds a row's line in one buffer of at most 1 GiB - 1 byte, in and out, so a
   * backup never holds a longer one.
   */
  static final int MAX_LINE_BYTES = (1 << 30) - 1;
  private static final int REPORT_EVERY_ROWS = 2_000;
  private static final int TRAILER_MAX_BYTES = 4096;
  private static final Pattern SETVAL = Pattern.compile(
    "^SELECT pg_catalog\\.setval\\((.+), (-?\\d{1,19}), (true|false)\\);$");
  private static final byte[] END_OF_COPY = BackupFormat.END_OF_COPY.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FIRST_LINE = BackupFormat.FIRST_LINE.getBytes(StandardCharsets.US_ASCII);

  /** podvault's own schema at a backup's version, the standard the file is checked against. */
  public interface SchemaSource {
    ExpectedSchema at(String version) throws SQLException, InvalidBackupException;
  }

  /** The checked rows are handed to the loader at least every this many bytes. */
  static final int HAND_OVER_BYTES = 256 * 1024;

  private final SchemaSource schemas;
  private final Progress progress;
  private final CheckedRows checkedRows;
  private LineReader lines;
  /** Where the file stands, for the message when it ends too early. */
  private String position = "in its header";

  public BackupValidator(DbCoordinates db, Progress progress) {
    this(version -> ExpectedSchema.at(db, version), progress, CheckedRows.NONE);
  }

  public BackupValidator(SchemaSource schemas, Progress progress) {
    this(schemas, progress, CheckedRows.NONE);
  }

  /** @param checkedRows told where the checked rows lie as the check goes, to load them meanwhile */
  public BackupValidator(SchemaSource schemas, Progress progress, CheckedRows checkedRows) {
    this.schemas = schemas;
    this.progress = progress;
    this.checkedRows = checkedRows;
  }

  /** Checks a stored file; the slow key derivation runs only for a file whose content has passed. */
  public LoadPlan validate(Path file, String password) throws IOException, SQLException, InvalidBackupException {
    try (InputStream in = Files.newInputStream(file)) {
      return validate(in, CompletableFuture.completedFuture(password), false);
    }
  }

  /**
   * Checks a backup as it is read, in one pass: the stream may still be arriving. The password may come
   * later than the file begins. With {@code deriveEarly} the slow key derivation starts as soon as both the
   * password and the header's salt are known, beside the rest of the check: worth it while an upload
   * arrives, though wasted on a file refused halfway.
   */
  public LoadPlan validate(InputStream in, CompletableFuture<String> password, boolean deriveEarly)
    throws IOException, SQLException, InvalidBackupException {
    LineReader reader = new LineReader(in, MAX_LINE_BYTES, Seal.sha256());
    if (!reader.next() && reader.bytesRead() == 0) {
      throw new InvalidBackupException("the file is empty; choose the server_backup.sql that podvault downloaded");
    }
    return validate(reader, password, deriveEarly);
  }

  /** Checks the rest of a file whose first line {@code reader} has just read. */
  LoadPlan validate(LineReader reader, CompletableFuture<String> password, boolean deriveEarly)
    throws IOException, SQLException, InvalidBackupException {
    lines = reader;
    BackupHeader header = readHeader();
    CompletableFuture<byte[]> key = deriveEarly ? password.thenApplyAsync(header.seal()::key) : null;
    ExpectedSchema schema = schemas.at(header.schemaVersion());
    checkTableList(header, schema);
    checkedRows.schemaKnown(header.schemaVersion());
    progress.planned(header.tables().size(), header.totalRows());
    expectText(schema.preamble(), "its schema statements");
    Map<String, LoadPlan.TableRows> rows = new LinkedHashMap<>();
    for (int i = 0; i < schema.tables().size(); i++) {
      Catalog.Table table = schema.tables().get(i);
      rows.put(table.name(), checkTable(schema, table, header.tables().get(i)));
    }
    Map<String, LoadPlan.SequenceValue> sequences = readSequences(schema);
    expectText(schema.postData(), "its constraint and index statements");
    if (!lines.next()) {
      throw new InvalidBackupException("the file was cut short: it ends before its trailer; download the backup again");
    }
    if (!lines.text().startsWith(BackupFormat.TRAILER_PREFIX)) {
      throw new InvalidBackupException("the file holds unexpected content at line " + lines.lineNumber()
        + " (byte " + lines.lineStart() + "), after the end of the backup; it was changed after it was made");
    }
    byte[] digest = lines.digestBeforeLine();
    JsonObject trailer = readTrailer(lines);
    if (!lines.atEnd()) {
      throw new InvalidBackupException("the file holds unexpected content after its trailer (byte " + lines.lineStart()
        + "); it was changed after it was made");
    }
    checkSeal(trailer, digest, () -> key != null ? key.join() : header.seal().key(password.join()));
    return new LoadPlan(DumpFormat.PODVAULT, header.schemaVersion(), "made " + header.createdAt(), rows, sequences);
  }

  /** The trailer, on the line {@code lines} has just read. */
  static JsonObject readTrailer(LineReader lines) throws InvalidBackupException {
    long at = lines.lineStart();
    if (lines.length() > TRAILER_MAX_BYTES) {
      throw new InvalidBackupException("the file's trailer is damaged at byte " + at + ": it is too long");
    }
    try {
      JsonObject trailer = new JsonObject(lines.text().substring(BackupFormat.TRAILER_PREFIX.length()));
      if (trailer.getString(BackupFormat.TRAILER_SHA256) == null || trailer.getString(BackupFormat.TRAILER_HMAC) == null) {
        throw new InvalidBackupException("the file's trailer is damaged: it lacks its checksum or seal");
      }
      return trailer;
    } catch (DecodeException | ClassCastException e) {
      throw new InvalidBackupException("the file's trailer is damaged at byte " + at + "; it cannot be read");
    }
  }

  /** Whether the line {@code reader} has just read is the first line of a podvault backup. */
  static boolean isFirstLine(LineReader reader) {
    return reader.is(FIRST_LINE);
  }

  private BackupHeader readHeader() throws IOException, InvalidBackupException {
    if (!lines.is(FIRST_LINE)) {
      throw new InvalidBackupException("this is not a podvault backup: it does not start with '"
        + BackupFormat.FIRST_LINE + "'; choose the server_backup.sql that podvault's Backup downloaded");
    }
    BackupHeader header = new BackupHeader();
    while (true) {
      if (!lines.next()) {
        throw cutShort();
      }
      String line = lines.text();
      if (BackupFormat.END_OF_HEADER.equals(line)) {
        break;
      }
      header.accept(line, lines.lineNumber());
    }
    header.complete();
    return header;
  }

  private static void checkTableList(BackupHeader header, ExpectedSchema schema) throws InvalidBackupException {
    List<String> listed = header.tables().stream().map(TableEntry::name).toList();
    List<String> expected = schema.tables().stream().map(Catalog.Table::name).toList();
    if (!listed.equals(expected)) {
      List<String> unknown = new ArrayList<>(listed);
      unknown.removeAll(expected);
      List<String> missing = new ArrayList<>(expected);
      missing.removeAll(listed);
      throw new InvalidBackupException("the file's tables do not match podvault's schema version " + header.schemaVersion()
        + (unknown.isEmpty() ? "" : "; tables that do not exist: " + unknown)
        + (missing.isEmpty() ? "" : "; tables missing: " + missing)
        + (unknown.isEmpty() && missing.isEmpty() ? "; they are listed out of order" : ""));
    }
  }

  /** The next lines must be exactly {@code expected}. */
  private void expectText(String expected, String what) throws IOException, InvalidBackupException {
    position = "in " + what;
    String[] expectedLines = expected.split("\n", -1);
    for (int i = 0; i < expectedLines.length - 1; i++) {
      if (!lines.next()) {
        throw cutShort();
      }
      if (!expectedLines[i].equals(lines.text())) {
        throw new InvalidBackupException("the file is damaged at byte " + lines.lineStart() + " (line "
          + lines.lineNumber() + "): " + what + " differ from podvault's own; it was changed after it was made");
      }
    }
  }

  private LoadPlan.TableRows checkTable(ExpectedSchema schema, Catalog.Table table, TableEntry entry)
    throws IOException, InvalidBackupException {
    progress.tableStarted(table.name(), entry.rows());
    if (!lines.next()) {
      throw cutShort();
    }
    String copyLine = schema.script().copyFrom(table);
    if (!copyLine.equals(lines.text())) {
      String found = lines.length() > 300 ? lines.text().substring(0, 300) + "..." : lines.text();
      throw new InvalidBackupException("the file is damaged at byte " + lines.lineStart() + " (line " + lines.lineNumber()
        + "): expected the rows of table " + table.name() + " with the columns of podvault's schema, found: " + found);
    }
    int columns = table.copyColumns().size();
    List<String> columnNames = table.copyColumns().stream().map(Catalog.Column::name).toList();
    long start = lines.lineEnd();
    checkedRows.tableBegins(table.name(), columnNames, start);
    long handedOver = start;
    long rows = 0;
    while (true) {
      if (!lines.next()) {
        position = "in table " + table.name() + " after row " + rows;
        throw cutShort();
      }
      if (lines.is(END_OF_COPY)) {
        break;
      }
      checkRow(table, rows + 1, columns);
      rows++;
      if (lines.lineEnd() - handedOver >= HAND_OVER_BYTES) {
        handedOver = lines.lineEnd();
        checkedRows.checkedUpTo(handedOver);
      }
      if (rows % REPORT_EVERY_ROWS == 0) {
        progress.rowsChecked(table.name(), REPORT_EVERY_ROWS);
      }
    }
    long end = lines.lineStart();
    if (rows != entry.rows()) {
      throw new InvalidBackupException("table " + table.name() + " holds " + rows + " rows but the file's header promises "
        + entry.rows() + "; the file was changed after it was made");
    }
    checkedRows.tableEnds(end, rows);
    position = "after table " + table.name();
    expectBlankLine();
    progress.rowsChecked(table.name(), rows % REPORT_EVERY_ROWS);
    progress.tableFinished(table.name());
    return new LoadPlan.TableRows(columnNames, start, end, rows);
  }

  private void checkRow(Catalog.Table table, long row, int columns) throws InvalidBackupException {
    Bytes.LineShape shape = lines.shape();
    if (shape.forbidden != 0) {
      throw badRow(table, row, "it holds a raw carriage return or NUL byte");
    }
    if (shape.tabs != columns - 1) {
      throw badRow(table, row, "it has " + (shape.tabs + 1) + " fields where the table has " + columns + " columns");
    }
    if (!lines.isValidUtf8()) {
      throw badRow(table, row, "it is not valid UTF-8");
    }
  }

  private InvalidBackupException badRow(Catalog.Table table, long row, String why) {
    return new InvalidBackupException("the file is damaged at byte " + lines.lineStart() + ": row " + row + " of table "
      + table.name() + " is malformed (" + why + ")");
  }

  private Map<String, LoadPlan.SequenceValue> readSequences(ExpectedSchema schema) throws IOException, InvalidBackupException {
    Map<String, LoadPlan.SequenceValue> values = new LinkedHashMap<>();
    for (Catalog.Sequence sequence : schema.catalog().sequences()) {
      if (!lines.next()) {
        throw cutShort();
      }
      Matcher m = SETVAL.matcher(lines.text());
      String expectedTarget = Sql.literal(Sql.qualified(io.podvault.db.Migrations.APP_SCHEMA, sequence.name()));
      if (!m.matches() || !m.group(1).equals(expectedTarget)) {
        throw new InvalidBackupException("the file is damaged at byte " + lines.lineStart() + " (line " + lines.lineNumber()
          + "): expected the value of sequence " + sequence.name());
      }
      try {
        values.put(sequence.name(), new LoadPlan.SequenceValue(Long.parseLong(m.group(2)), Boolean.parseBoolean(m.group(3))));
      } catch (NumberFormatException e) {
        throw new InvalidBackupException("the value of sequence " + sequence.name() + " is out of range");
      }
      position = "after the sequence values";
      expectBlankLine();
    }
    return values;
  }

  /** Checks the content's digest against the trailer's SHA-256, then the seal with the key. */
  static void checkSeal(JsonObject trailer, byte[] digest, Supplier<byte[]> key) throws InvalidBackupException {
    checkDigest(trailer, digest);
    byte[] recordedHmac = hex(trailer.getString(BackupFormat.TRAILER_HMAC));
    byte[] expected = Seal.hmac(key.get(), digest);
    if (!MessageDigest.isEqual(expected, recordedHmac)) {
      throw new InvalidBackupException(JobFailure.BACKUP_PASSWORD_MISMATCH,
        "the password does not match the one used when this backup was made");
    }
  }

  /** Checks the content's digest against the trailer's SHA-256. */
  static void checkDigest(JsonObject trailer, byte[] digest) throws InvalidBackupException {
    if (!Arrays.equals(hex(trailer.getString(BackupFormat.TRAILER_SHA256)), digest)) {
      throw new InvalidBackupException("the file is damaged: its content does not match the SHA-256 in its trailer "
        + "(a byte was changed after the backup was made); use an undamaged copy");
    }
  }

  private static byte[] hex(String text) throws InvalidBackupException {
    try {
      return BackupFormat.HEX.parseHex(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidBackupException("the file's trailer is damaged: its checksum is not hexadecimal");
    }
  }

  private void expectBlankLine() throws IOException, InvalidBackupException {
    if (!lines.next()) {
      throw cutShort();
    }
    if (lines.length() != 0) {
      throw new InvalidBackupException("the file is damaged at byte " + lines.lineStart() + " (line " + lines.lineNumber()
        + "): a blank line was expected " + position);
    }
  }

  private InvalidBackupException cutShort() {
    return new InvalidBackupException("the file was cut short: it ends " + position
      + "; download the backup again or use a complete copy");
  }
}
