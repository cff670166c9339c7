package io.podvault.job;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.dump.BackupConnections;
import io.podvault.dump.DumpFormat;
import io.podvault.dump.Dumper;
import io.podvault.dump.RowReaders;
import io.podvault.dump.SchemaCheck;
import io.podvault.folder.BackupFolder;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup: refused unless the administrator typed this server's database password, then holding the job
 * lock on its snapshot connection and dumping from that snapshot into its {@link Sink} (the download stream, or a
 * file of the backup folder); the schema check reads the snapshot's catalog, which the dump then writes, and
 * {@value #READERS} more connections read the rows. The password also seals the file.
 */
final class BackupJob implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(BackupJob.class);
  /**
   * Connections that read rows side by side. On two cores, COPY of a 2.2-million-row database to a null stream
   * took 2.2-2.6 s on two connections against 3.5-4.7 s on one (load average 8).
   */
  static final int READERS = 2;

  /** Where a backup's bytes go, and what becomes of them once the dump has ended or failed. */
  interface Sink {

    OutputStream out();

    /** Everything is written: a download is drained to the client, a file flushed to the disk and named. */
    void complete(Dumper.Header header) throws IOException;

    /** The job is recorded as succeeded: a download's response ends. */
    void succeeded();

    /** The dump failed: a download is aborted, a file deleted; returns what the job's record says. */
    String failed(Exception cause);

    /** The job was refused before it began (password, lock, schema): a file begun for it is deleted. */
    default void refused() {
    }
  }

  /** The download of a backup: the HTTP response that {@code stream} feeds. */
  static Sink toDownload(StreamSender stream, String jobId) {
    return new Sink() {
      @Override
      public OutputStream out() {
        return stream;
      }

      @Override
      public void complete(Dumper.Header header) throws IOException {
        stream.drain();
      }

      @Override
      public void succeeded() {
        try {
          stream.end();
        } catch (Exception e) {
          LOG.warn("Backup {} was complete but the client left before the response ended: {}", jobId, e.toString());
        }
      }

      @Override
      public String failed(Exception cause) {
        String message = "the backup failed and the download was aborted: " + cause.getMessage();
        stream.abort(message);
        return message;
      }
    };
  }

  /** A backup into a file (of the backup folder, or the command line's); only a whole one takes its name, and {@code then} follows it. */
  static Sink toFolder(BackupFolder.Writing file, Runnable then) {
    return new Sink() {
      @Override
      public OutputStream out() {
        return file.out();
      }

      @Override
      public void complete(Dumper.Header header) throws IOException {
        file.finish(header.createdAt(), header.schemaVersion(), header.rows());
        LOG.info("Backup written to {} ({} rows)", file.path(), header.rows());
      }

      @Override
      public void succeeded() {
        then.run();
      }

      @Override
      public String failed(Exception cause) {
        file.abandon();
        String why = String.valueOf(cause.getMessage());
        return "the backup failed and no file was kept in " + file.path().getParent() + ": " + why
          + (why.contains("No space left") ? "; free some space there, or set backup_dir to a larger disk" : "");
      }

      @Override
      public void refused() {
        file.abandon();
      }
    };
  }

  private final Connection connection;
  private final RowReaders rows;
  private final Dumper dumper;
  private final JobProgress progress;
  private final Sink sink;

  private BackupJob(Connection connection, RowReaders rows, Dumper dumper, JobProgress progress, Sink sink) {
    this.connection = connection;
    this.rows = rows;
    this.dumper = dumper;
    this.progress = progress;
    this.sink = sink;
  }

  /**
   * Checks the password and takes the job lock; nothing is sent before both succeed. The password is compared
   * with the configured one rather than tried on the database, which would accept any string from a role that
   * the server trusts without one.
   */
  static BackupJob open(DbCoordinates db, BackupConnections opened, SchemaCheck schema, String password, DumpFormat format,
    JobProgress progress, Sink sink) throws JobException {
    if (!db.passwordMatches(password)) {
      throw JobException.wrongDatabasePassword();
    }
    BackupConnections.Ready ready = opened.take();
    // Without connections opened beforehand, the readers sign in while this thread takes the lock and reads the catalog.
    RowReaders rows = ready != null ? RowReaders.using(ready.readers()) : RowReaders.open(db, READERS);
    Connection connection = null;
    try {
      connection = ready != null ? ready.snapshot() : Connections.open(db, Connections.Kind.SNAPSHOT);
      if (!JobLock.tryAcquire(connection)) {
        throw JobException.jobRunning();
      }
      Dumper dumper = new Dumper(connection, rows, password, format, new ProgressListener(progress));
      schema.require(connection, dumper.begin());
      rows.awaitConnected();
      progress.begin();
      return new BackupJob(connection, rows, dumper, progress, sink);
    } catch (JobException | SQLException | RuntimeException e) {
      rows.close();
      closeQuietly(connection);
      if (e instanceof JobException refused) {
        throw refused;
      }
      if (e instanceof RuntimeException bug) {
        throw bug;
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
      dumper.dump(sink.out());
      sink.complete(dumper.header());
    } catch (Exception e) {
      LOG.warn("Backup {} failed: {}", progress.id(), e.toString());
      progress.fail(sink.failed(e));
      return;
    } finally {
      rows.close();
      closeQuietly(connection);
    }
    progress.succeed();
    LOG.info("Backup {} finished", progress.id());
    sink.succeeded();
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

  private static final class ProgressListener implements Dumper.Listener {

    private final JobProgress progress;
    private long rowsReported;

    ProgressListener(JobProgress progress) {
      this.progress = progress;
    }

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
