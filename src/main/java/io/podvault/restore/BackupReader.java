package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Migrations;
import io.podvault.dump.Seal;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a backup file of either kind, told apart by its first line: podvault's own sealed file goes to
 * {@link BackupValidator}, a plain pg_dump file that PinePods wrote to {@link PinePodsValidator}. Anything
 * else is refused before more of it is read.
 */
public final class BackupReader {

  private final DbCoordinates db;
  private final BackupValidator.Progress progress;
  private final CheckedRows checkedRows;

  /** @param checkedRows told where the checked rows lie as the check goes, to load them meanwhile */
  public BackupReader(DbCoordinates db, BackupValidator.Progress progress, CheckedRows checkedRows) {
    this.db = db;
    this.progress = progress;
    this.checkedRows = checkedRows;
  }

  /**
   * Checks a file as it is read, in one pass (it may still be arriving; the password may come later than the
   * file begins) and returns what the loader needs from it.
   */
  public LoadPlan validate(InputStream in, CompletableFuture<String> password)
    throws IOException, SQLException, InvalidBackupException {
    LineReader lines = new LineReader(in, BackupValidator.MAX_LINE_BYTES, Seal.sha256());
    if (!lines.next()) {
      throw new InvalidBackupException(lines.bytesRead() == 0
        ? "the file is empty; choose a server_backup.sql made by podvault or PinePods"
        : "the file holds a single line without its end; choose a server_backup.sql made by podvault or PinePods");
    }
    if (BackupValidator.isFirstLine(lines)) {
      return new BackupValidator(version -> ExpectedSchema.at(db, version), progress, checkedRows)
        .validate(lines, password, true);
    }
    if (PinePodsValidator.FIRST_LINE.equals(lines.text())) {
      String version = Migrations.currentVersion(db);
      return new PinePodsValidator(ExpectedSchema.at(db, version).catalog(), version, progress, checkedRows)
        .validate(lines, password, db::passwordMatches);
    }
    throw new InvalidBackupException("this is not a backup podvault can read: it starts neither like podvault's "
      + "server_backup.sql nor like a pg_dump file that PinePods made; choose one of those");
  }
}
