package io.podvault.restore;

import io.podvault.dump.Catalog;
import io.podvault.dump.DumpFormat;
import io.podvault.contract.JobFailure;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a backup file PinePods wrote: a plain pg_dump of its database, either data only (its Settings page's
 * {@code server_backup.sql}) or schema and data with {@code --clean --if-exists} (its backup folder). The file
 * is read, never run. Each statement must be one of the forms pg_dump writes ({@link PinePodsStatements}) about
 * an object of PinePods' data model as podvault's migrations build it; those about podvault's own schema are
 * skipped. Only the rows of {@code COPY} blocks and the values of {@code setval} are taken; every row is checked
 * for its number of fields, its escapes and its UTF-8. The file carries no seal, so a changed value inside a
 * field cannot be seen, and the password given must be this server's.
 */
final class PinePodsValidator {

  /** pg_dump's first lines, after which its header comments and session settings follow. */
  static final String FIRST_LINE = "--";
  static final String SECOND_LINE = "-- PostgreSQL database dump";
  private static final String LAST_COMMENT = "-- PostgreSQL database dump complete";
  private static final String SERVER_COMMENT = "-- Dumped from database version ";
  private static final byte[] END_OF_COPY = {'\\', '.'};
  static final Pattern RESTRICT = Pattern.compile("^\\\\(un)?restrict [A-Za-z0-9]{1,100}$");
  /** A statement longer than this is not one pg_dump writes for the data model. */
  private static final int MAX_STATEMENT_CHARS = 256 * 1024;
  private static final int REPORT_EVERY_ROWS = 2_000;

  private final PinePodsStatements statements;
  private final String schemaVersion;
  private final BackupValidator.Progress progress;
  private final CheckedRows checkedRows;
  private final Map<String, LoadPlan.TableRows> tables = new LinkedHashMap<>();
  private final Map<String, LoadPlan.SequenceValue> sequences = new LinkedHashMap<>();
  private LineReader lines;
  private String origin = "dumped from an unnamed PostgreSQL version";

  /**
   * @param model PinePods' tables as podvault's migrations build them at {@code schemaVersion}, the live version
   * @param checkedRows told where the checked rows lie as the check goes, to load them meanwhile
   */
  PinePodsValidator(Catalog model, String schemaVersion, BackupValidator.Progress progress, CheckedRows checkedRows) {
    this.statements = new PinePodsStatements(model);
    this.schemaVersion = schemaVersion;
    this.progress = progress;
    this.checkedRows = checkedRows;
  }

  /**
   * Checks the rest of a file whose first line {@code reader} has just read; {@code isThisServers} tells
   * whether the password given is this server's database password.
   */
  LoadPlan validate(LineReader reader, CompletableFuture<String> password, Predicate<String> isThisServers)
    throws IOException, InvalidBackupException {
    lines = reader;
    lines.readUnsealed();
    progress.checkingBytes();
    if (!lines.next() || !SECOND_LINE.equals(lines.text())) {
      throw new InvalidBackupException("this is not a backup podvault can read: it starts like a SQL file but not like "
        + "pg_dump's (line 2 is not '" + SECOND_LINE + "'); choose a server_backup.sql made by podvault or PinePods");
    }
    checkedRows.schemaKnown(schemaVersion);
    boolean complete = false;
    while (lines.next()) {
      String line = lines.text();
      if (line.isEmpty() || line.startsWith("--")) {
        complete |= line.equals(LAST_COMMENT);
        if (line.startsWith(SERVER_COMMENT)) {
          origin = "dumped from PostgreSQL " + shorten(line.substring(SERVER_COMMENT.length()));
        }
      } else if (line.startsWith("\\")) {
        if (!RESTRICT.matcher(line).matches()) {
          throw refused("holds the psql command '" + shorten(line) + "', which pg_dump does not write");
        }
      } else if (complete) {
        throw refused("holds a statement after pg_dump's last line ('" + LAST_COMMENT + "'); the file was changed "
          + "after it was made");
      } else {
        statement();
      }
      progress.bytesChecked(lines.bytesRead());
    }
    if (!complete) {
      throw new InvalidBackupException("the file was cut short: it ends at line " + lines.lineNumber() + " without "
        + "pg_dump's last line ('" + LAST_COMMENT + "'); use a complete copy of the backup");
    }
    if (!lines.atEnd()) {
      throw new InvalidBackupException("the file was cut short: its last line has no line end");
    }
    if (!isThisServers.test(password.join())) {
      throw new InvalidBackupException(JobFailure.WRONG_DATABASE_PASSWORD, "a PinePods backup carries no seal, so "
        + "'database_pass' must be this server's database password; enter that password");
    }
    return new LoadPlan(DumpFormat.PINEPODS, schemaVersion, origin, tables, sequences);
  }

  /** Reads one statement, which may run over several lines, and checks it; a COPY's rows follow it. */
  private void statement() throws IOException, InvalidBackupException {
    long firstLine = lines.lineNumber();
    StringBuilder text = new StringBuilder(lines.text());
    // Counted line by line: a statement ends only outside a string literal.
    int quotes = PinePodsStatements.quotes(lines.text());
    while (!PinePodsStatements.ends(text, quotes)) {
      if (text.length() > MAX_STATEMENT_CHARS) {
        throw new InvalidBackupException("line " + firstLine + " of the file begins a statement longer than pg_dump "
          + "writes for PinePods' tables; this is not a PinePods backup or it is damaged");
      }
      if (!lines.next()) {
        throw new InvalidBackupException("the file was cut short: the statement at line " + firstLine + " has no end");
      }
      text.append('\n').append(lines.text());
      quotes += PinePodsStatements.quotes(lines.text());
    }
    PinePodsStatements.Statement statement = statements.check(text.toString(), firstLine);
    if (statement instanceof PinePodsStatements.Copy copy) {
      rows(copy, firstLine);
    } else if (statement instanceof PinePodsStatements.SetSequence setval) {
      if (sequences.put(setval.sequence(), new LoadPlan.SequenceValue(setval.value(), setval.isCalled())) != null) {
        throw refused(firstLine, "sets sequence " + setval.sequence() + " a second time");
      }
    }
  }

  /** The rows of a COPY block, up to its {@code \.} line. */
  private void rows(PinePodsStatements.Copy copy, long copyLine) throws IOException, InvalidBackupException {
    boolean skipped = copy.table() == null;
    long start = lines.lineEnd();
    long handedOver = start;
    if (!skipped) {
      if (tables.containsKey(copy.table())) {
        throw refused(copyLine, "holds rows for table " + copy.table() + " a second time");
      }
      progress.tableStarted(copy.table(), 0);
      checkedRows.tableBegins(copy.table(), copy.columns(), start);
    }
    long rows = 0;
    while (true) {
      if (!lines.next()) {
        throw new InvalidBackupException("the file was cut short: the rows that begin at line " + copyLine + " ("
          + (skipped ? "podvault's own table" : "table " + copy.table()) + ") end after row " + rows
          + " without their end line '\\.'; use a complete copy of the backup");
      }
      if (lines.is(END_OF_COPY)) {
        break;
      }
      rows++;
      if (!skipped) {
        checkRow(copy, rows);
        if (lines.lineEnd() - handedOver >= BackupValidator.HAND_OVER_BYTES) {
          handedOver = lines.lineEnd();
          checkedRows.checkedUpTo(handedOver);
        }
      }
      if (rows % REPORT_EVERY_ROWS == 0) {
        progress.bytesChecked(lines.bytesRead());
        if (!skipped) {
          progress.rowsChecked(copy.table(), REPORT_EVERY_ROWS);
        }
      }
    }
    if (skipped) {
      return;
    }
    checkedRows.tableEnds(lines.lineStart(), rows);
    tables.put(copy.table(), new LoadPlan.TableRows(copy.columns(), start, lines.lineStart(), rows));
    progress.rowsChecked(copy.table(), rows % REPORT_EVERY_ROWS);
    progress.tableFinished(copy.table());
  }

  private void checkRow(PinePodsStatements.Copy copy, long row) throws InvalidBackupException {
    Bytes.LineShape shape = lines.shape();
    if (shape.forbidden != 0) {
      throw badRow(copy, row, "it holds a raw carriage return or NUL byte");
    }
    if (shape.tabs != copy.columns().size() - 1) {
      throw badRow(copy, row, "it has " + (shape.tabs + 1) + " fields where its COPY names " + copy.columns().size()
        + " columns");
    }
    if (!lines.isValidUtf8()) {
      throw badRow(copy, row, "it is not valid UTF-8");
    }
    if (!lines.hasValidEscapes()) {
      throw badRow(copy, row, "it holds a backslash escape that COPY does not write");
    }
  }

  private InvalidBackupException badRow(PinePodsStatements.Copy copy, long row, String why) {
    return new InvalidBackupException("the file is damaged at line " + lines.lineNumber() + ": row " + row + " of table "
      + copy.table() + " is malformed (" + why + ")");
  }

  private InvalidBackupException refused(String what) {
    return refused(lines.lineNumber(), what);
  }

  private static InvalidBackupException refused(long line, String what) {
    return new InvalidBackupException("line " + line + " of the file " + what + "; nothing was changed");
  }

  static String shorten(String text) {
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }
}
