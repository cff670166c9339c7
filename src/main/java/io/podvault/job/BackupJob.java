package io.podvault.job;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.CopyOutConnection;
import io.podvault.db.JobLock;
import io.podvault.dump.DumpFormat;
import io.podvault.dump.Dumper;
import io.podvault.dump.SchemaCheck;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup: refused unless the administrator typed this server's database password, then holding the job
 * lock on its snapshot connection and dumping from that snapshot into the download stream; a second
 * connection streams the rows. The password also seals the file.
 */
final class BackupJob implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(BackupJob.class);

  private final Connection connection;
  private final CopyOutConnection rows;
  private final String password;
  private final DumpFormat format;
  private final JobProgress progress;
  private final StreamSender stream;

  private BackupJob(Connection connection, CopyOutConnection rows, String password, DumpFormat format,
    JobProgress progress, StreamSender stream) {
    this.connection = connection;
    this.rows = rows;
    this.password = password;
    this.format = format;
    this.progress = progress;
    this.stream = stream;
  }

  /**
   * Checks the password and takes the job lock; nothing is sent before both succeed. The password is compared
   * with the configured one rather than tried on the database, which would accept any string from a role that
   * the server trusts without one.
   */
  static BackupJob open(DbCoordinates db, SchemaCheck schema, String password, DumpFormat format, JobProgress progress,
    StreamSender stream) throws JobException {
    if (!db.passwordMatches(password)) {
      throw JobException.wrongDatabasePassword();
    }
    Connection connection = null;
    CopyOutConnection rows = null;
    try {
      connection = Connections.open(db, Connections.Kind.SNAPSHOT);
      if (!JobLock.tryAcquire(connection)) {
        throw JobException.jobRunning();
      }
      schema.require(connection);
      rows = Connections.copyOut(db);
      progress.begin();
      return new BackupJob(connection, rows, password, format, progress, stream);
    } catch (JobException | SQLException e) {
      if (rows != null) {
        rows.close();
      }
      closeQuietly(connection);
      if (e instanceof JobException refused) {
        throw refused;
      }
      throw new JobException(JobFailure.DATABASE_UNAVAILABLE, "the database failed while starting the backup: " + e.getMessage(), e);
    }
  }

  /** Aborts a running dump from another thread (server stopping): closing the connection ends the COPY. */
  void abort() {
    rows.close();
    closeQuietly(connection);
  }

  @Override
  public void run() {
    try {
      new Dumper(connection, rows, password, format, new ProgressListener()).dump(stream);
      stream.drain();
    } catch (Exception e) {
      String message = "the backup failed and the download was aborted: " + e.getMessage();
      LOG.warn("Backup {} failed: {}", progress.id(), e.toString());
      stream.abort(message);
      progress.fail(message);
      return;
    } finally {
      rows.close();
      closeQuietly(connection);
    }
    progress.succeed();
    LOG.info("Backup {} finished", progress.id());
    try {
      stream.end();
    } catch (Exception e) {
      LOG.warn("Backup {} was complete but the client left before the response ended: {}", progress.id(), e.toString());
    }
  }

  private static void closeQuietly(Connection connection) {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException ignored) {
      // closing a broken connection: nothing left to release, the server ended the session
    }
  }

  private final class ProgressListener implements Dumper.Listener {

    private long rowsReported;

    @Override
    public void planned(List<Dumper.TableCount> tables) {
      progress.phase(Phase.DUMPING, tables.size(), tables.stream().mapToLong(Dumper.TableCount::rows).sum());
    }

    @Override
    public void tableStarted(String table, long rowsTotal) {
      rowsReported = 0;
      progress.tableStarted(table, rowsTotal);
    }

    @Override
    public void rowsCopied(String table, long rowsDoneInTable) {
      progress.rowsDone(table, rowsDoneInTable - rowsReported);
      rowsReported = rowsDoneInTable;
    }

    @Override
    public void tableFinished(String table) {
      progress.tableFinished(table);
    }
  }
}
