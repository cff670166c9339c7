package io.podvault.restore;

import io.podvault.db.Sql;
import io.podvault.dump.BackupFormat;
import io.podvault.dump.Seal;
import io.podvault.restore.BackupHeader.TableEntry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * What the command line's {@code verify} checks of a backup file, with no database: for a podvault backup its
 * format, that it is whole (every table's rows as its header counts them, then the trailer, then nothing), its
 * SHA-256, and with a password its seal; for a PinePods file, that it is whole (it ends with pg_dump's last line).
 * A file compressed with gzip is read decompressed. A restore checks more (every statement and column against the
 * schema), which needs the database.
 */
public final class BackupVerifier {

  private static final String PG_DUMP_START = "-- PostgreSQL database dump";
  private static final String PG_DUMP_END = "-- PostgreSQL database dump complete";
  private static final byte[] END_OF_COPY = BackupFormat.END_OF_COPY.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FIRST_LINE = BackupFormat.FIRST_LINE.getBytes(StandardCharsets.US_ASCII);

  private BackupVerifier() {
  }

  /** What a file that passed is: its format, and for a podvault backup its figures and whether its seal was checked. */
  public record Verified(String format, boolean compressed, String schemaVersion, String createdAt, int tables, long rows,
                         boolean sealChecked) {
  }

  /**
   * Reads the whole file; fails with the reason it is not a whole, undamaged backup, or (with {@code password})
   * with {@link io.podvault.contract.JobFailure#BACKUP_PASSWORD_MISMATCH} when the seal is not the password's.
   */
  public static Verified verify(Path file, String password) throws IOException, InvalidBackupException {
    try (Gzip.Content content = Gzip.open(java.nio.file.Files.newInputStream(file), Long.MAX_VALUE)) {
      LineReader lines = new LineReader(content, BackupValidator.MAX_LINE_BYTES, Seal.sha256());
      if (!lines.next()) {
        throw new InvalidBackupException(lines.bytesRead() == 0 ? "the file is empty" : "the file holds no whole line");
      }
      if (lines.is(FIRST_LINE)) {
        return podvault(lines, content.compressed(), password);
      }
      if (lines.text().startsWith("--") && firstLinesName(lines, PG_DUMP_START)) {
        return pinePods(lines, content.compressed());
      }
      throw new InvalidBackupException("this is neither a podvault backup nor a pg_dump file of PinePods");
    }
  }

  private static Verified podvault(LineReader lines, boolean compressed, String password)
    throws IOException, InvalidBackupException {
    BackupHeader header = new BackupHeader();
    while (true) {
      if (!lines.next()) {
        throw cutShort("in its header");
      }
      if (BackupFormat.END_OF_HEADER.equals(lines.text())) {
        break;
      }
      header.accept(lines.text(), lines.lineNumber());
    }
    header.complete();
    Iterator<TableEntry> tables = header.tables().iterator();
    while (true) {
      if (!lines.next()) {
        throw cutShort("before its trailer");
      }
      String line = lines.length() > 1000 ? "" : lines.text();
      if (line.startsWith(BackupFormat.TRAILER_PREFIX)) {
        break;
      }
      if (line.startsWith("COPY ") && line.endsWith(" FROM stdin;")) {
        checkRows(lines, line, tables.hasNext() ? tables.next() : null);
      }
    }
    if (tables.hasNext()) {
      throw new InvalidBackupException("the file lacks the rows of table " + tables.next().name() + " that its header lists");
    }
    byte[] digest = lines.digestBeforeLine();
    JsonObject trailer = BackupValidator.readTrailer(lines);
    if (!lines.atEnd()) {
      throw new InvalidBackupException("the file holds unexpected content after its trailer (byte " + lines.lineStart()
        + "); it was changed after it was made");
    }
    if (password == null) {
      BackupValidator.checkDigest(trailer, digest);
    } else {
      BackupValidator.checkSeal(trailer, digest, () -> header.seal().key(password));
    }
    return new Verified("podvault", compressed, header.schemaVersion(), header.createdAt(), header.tables().size(),
      header.totalRows(), password != null);
  }

  /** Counts the rows of the COPY block that {@code copyLine} begins against what the header says of its table. */
  private static void checkRows(LineReader lines, String copyLine, TableEntry expected)
    throws IOException, InvalidBackupException {
    if (expected == null || !copyLine.startsWith("COPY " + Sql.qualified("public", expected.name()) + " (")) {
      throw new InvalidBackupException("the file is damaged at line " + lines.lineNumber() + ": its rows are not those of "
        + (expected == null ? "any more tables its header lists" : "table " + expected.name() + ", which its header lists next"));
    }
    long rows = 0;
    while (true) {
      if (!lines.next()) {
        throw cutShort("in the rows of table " + expected.name());
      }
      if (lines.is(END_OF_COPY)) {
        break;
      }
      rows++;
    }
    if (rows != expected.rows()) {
      throw new InvalidBackupException("the file is damaged: table " + expected.name() + " holds " + rows
        + " rows where its header counts " + expected.rows());
    }
  }

  /** Whether one of the comment lines at the start, this one included, is {@code text}. */
  private static boolean firstLinesName(LineReader lines, String text) throws IOException, InvalidBackupException {
    for (int i = 0; i < 10; i++) {
      if (text.equals(lines.text())) {
        return true;
      }
      if (!lines.next()) {
        return false;
      }
    }
    return false;
  }

  private static Verified pinePods(LineReader lines, boolean compressed) throws IOException, InvalidBackupException {
    boolean complete = false;
    while (lines.next()) {
      if (lines.length() == PG_DUMP_END.length() && PG_DUMP_END.equals(lines.text())) {
        complete = true;
      } else if (complete && lines.length() > 0 && !lines.text().startsWith("--")
        && !PinePodsValidator.RESTRICT.matcher(lines.text()).matches()) {
        throw new InvalidBackupException("the file holds a statement after pg_dump's last line ('" + PG_DUMP_END
          + "'), at line " + lines.lineNumber() + "; it was changed after it was made");
      }
    }
    if (!complete || !lines.atEnd()) {
      throw new InvalidBackupException("the file was cut short: it ends at line " + lines.lineNumber()
        + " without pg_dump's last line ('" + PG_DUMP_END + "')");
    }
    return new Verified("pinepods", compressed, null, null, 0, 0, false);
  }

  private static InvalidBackupException cutShort(String where) {
    return new InvalidBackupException("the file was cut short: it ends " + where);
  }
}
