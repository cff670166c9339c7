package io.podvault.job;

import io.podvault.auth.SigningKeySeal;
import io.podvault.auth.TokenService;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.contract.Fields;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.dump.SchemaCheck;
import io.podvault.restore.ArrivingFile;
import io.podvault.restore.BackupReader;
import io.podvault.restore.BackupValidator;
import io.podvault.restore.LoadPlan;
import io.podvault.restore.SchemaSwap;
import io.podvault.restore.ShadowLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One restore: holds the job lock on a connection of its own for its whole life, validates the stored
 * upload, loads it into its own shadow schema, swaps it in on the lock's connection (which records the job as
 * succeeded in the same transaction) and signs everyone out. The upload is deleted and the lock released
 * whatever happens; a failure before the swap leaves the live data as it was.
 */
final class RestoreJob {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreJob.class);

  private final Vertx vertx;
  private final DbCoordinates db;
  private final SchemaCheck schema;
  private final Path file;
  private final JobProgress progress;
  private final Connection lock;
  private final ShadowLoader.Workers workers;
  private final Seals seals;
  private ShadowLoader loader;

  /** The seal the new signing key is stored under; deriving it is slow on purpose, so it is derived once. */
  @FunctionalInterface
  interface Seals {
    SigningKeySeal get() throws SQLException;
  }

  private RestoreJob(Vertx vertx, DbCoordinates db, SchemaCheck schema, Path file, JobProgress progress, Connection lock,
                     ShadowLoader.Workers workers, Seals seals) {
    this.vertx = vertx;
    this.workers = workers;
    this.seals = seals;
    this.db = db;
    this.schema = schema;
    this.file = file;
    this.progress = progress;
    this.lock = lock;
  }

  /** Takes the job lock, or refuses with {@link JobFailure#JOB_RUNNING}; deletes the upload when refused. */
  static RestoreJob open(Vertx vertx, DbCoordinates db, SchemaCheck schema, Path file, JobProgress progress,
                         ShadowLoader.Workers workers, Seals seals) throws JobException {
    Connection lock = null;
    try {
      lock = Connections.open(db);
      if (!JobLock.tryAcquire(lock)) {
        throw JobException.jobRunning();
      }
      schema.require(lock);
      progress.begin();
      return new RestoreJob(vertx, db, schema, file, progress, lock, workers, seals);
    } catch (JobException e) {
      close(lock);
      delete(file);
      throw e;
    } catch (SQLException e) {
      close(lock);
      delete(file);
      throw new JobException(JobFailure.DATABASE_UNAVAILABLE, "the database failed while starting the restore: " + e.getMessage(), e);
    }
  }

  /**
   * Checks the whole file as it arrives; nothing has changed when this throws, and the job has then ended
   * (recorded as failed, upload deleted, lock released).
   */
  LoadPlan validate(InputStream upload, CompletableFuture<String> password) throws JobException {
    try {
      return new BackupReader(db, new Listener()).validate(upload, password);
    } catch (JobException e) {
      finish(e.getMessage());
      throw e;
    } catch (ArrivingFile.CancelledException e) {
      finish(e.getMessage());
      throw new JobException(JobFailure.CLIENT_GONE, e.getMessage(), e);
    } catch (Exception e) {
      String message = "the file could not be checked: " + e.getMessage();
      finish(message);
      throw new JobException(JobFailure.INTERNAL, message, e);
    }
  }

  /**
   * Loads, swaps and signs everyone out; runs on the job thread after the 202. The replaced data is dropped
   * after the job has succeeded (the restored data is live and everyone signed out by then), still under the
   * job lock.
   */
  void run(LoadPlan backup) {
    try {
      ShadowLoader shadow = new ShadowLoader(db, progress.id(), file, backup, workers, new Listener());
      synchronized (this) {
        loader = shadow;
      }
      shadow.load();
      progress.phase(Phase.SWAPPING, 0, 0);
      SchemaSwap.swap(lock, shadow.schema(), schema, seals.get().seal(TokenService.newSecret()),
        progress.id());
      LOG.info("Restore {} replaced the data from a {} backup ({}; schema version {})", progress.id(),
        backup.format().wireName(), backup.origin(), backup.schemaVersion());
    } catch (Exception e) {
      LOG.warn("Restore {} failed: {}", progress.id(), e.toString());
      dropShadow();
      finish("the restore failed and the data was left as it was before: " + e.getMessage());
      return;
    }
    progress.succeed();
    vertx.eventBus().publish(Addresses.SIGNOUT, new JsonObject()
      .put(Fields.TYPE, "signout").put(Fields.REASON, "restore").put(Fields.JOB_ID, progress.id().toString()));
    try {
      SchemaSwap.dropReplaced(lock);
    } catch (SQLException e) {
      LOG.warn("Could not drop the data a restore replaced (the next start tries again): {}", e.getMessage());
    }
    release();
  }

  /** Stops the job from another thread (server stopping): closing the lock's connection also stops a swap. */
  void abort() {
    ShadowLoader running;
    synchronized (this) {
      running = loader;
    }
    if (running != null) {
      running.abort();
    }
    close(lock);
  }

  private void finish(String error) {
    progress.fail(error);
    release();
  }

  private void release() {
    delete(file);
    close(lock);
  }

  private void dropShadow() {
    ShadowLoader shadow;
    synchronized (this) {
      shadow = loader;
    }
    if (shadow == null) {
      return;
    }
    try (Connection c = Connections.open(db)) {
      shadow.drop(c);
    } catch (SQLException e) {
      LOG.warn("Could not drop the shadow schema of a failed restore (the next start will): {}", e.getMessage());
    }
  }

  /** Deletes a stored upload; one left behind is deleted at the next start. */
  static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (Exception e) {
      LOG.warn("Could not delete {} (the next start will): {}", file, e.toString());
    }
  }

  private static void close(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing releases the lock; a broken connection has already lost it
    }
  }

  /** Relays validator and loader progress to the job's events. */
  private final class Listener implements BackupValidator.Progress, ShadowLoader.Listener {

    @Override
    public void planned(int tables, long rows) {
      progress.phase(Phase.VALIDATING, tables, rows);
    }

    @Override
    public void checkingBytes() {
      progress.checkingBytes();
    }

    @Override
    public void bytesChecked(long bytes) {
      progress.bytesDone(bytes);
    }

    @Override
    public void phase(Phase phase, int steps, long rows) {
      progress.phase(phase, steps, rows);
    }

    @Override
    public void tableStarted(String table, long rows) {
      progress.tableStarted(table, rows);
    }

    @Override
    public void rowsChecked(String table, long delta) {
      progress.rowsDone(table, delta);
    }

    @Override
    public void rowsDone(String table, long delta) {
      progress.rowsDone(table, delta);
    }

    @Override
    public void tableFinished(String table) {
      progress.tableFinished(table);
    }
  }
}
