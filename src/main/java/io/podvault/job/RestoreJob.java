package io.podvault.job;

import static io.podvault.contract.Fields.*;

import io.podvault.auth.SigningKeySeal;
import io.podvault.auth.TokenService;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.dump.SchemaCheck;
import io.podvault.restore.BackupReader;
import io.podvault.restore.BackupValidator;
import io.podvault.restore.Gzip;
import io.podvault.restore.InvalidBackupException;
import io.podvault.restore.LoadFailedException;
import io.podvault.restore.LoadPlan;
import io.podvault.restore.SchemaSwap;
import io.podvault.restore.ShadowLoader;
import io.podvault.restore.SpareShadow;
import io.podvault.restore.StoredUpload;
import io.podvault.restore.StoppedException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One restore, from the first byte of its upload to the swap. It holds the job lock on a connection of its own
 * for its whole life and owns the stored upload, which it deletes as it ends. In one pass, while the upload
 * arrives, the file is checked and its checked rows go into the job's own shadow schema; the verdict goes to
 * the web verticle once the whole file has passed (then 202) or as soon as it is refused. What is left after a
 * passed file (index builds, the swap on the lock's connection, which records the job as succeeded in the
 * same transaction, the sign-out) follows on the job thread. A failure before the swap drops the shadow and
 * leaves the live data as it was.
 */
final class RestoreJob {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreJob.class);

  /** The seal the new signing key is stored under; deriving it is slow on purpose, so it is derived once. */
  @FunctionalInterface
  interface Seals {
    SigningKeySeal get() throws SQLException;
  }

  /** How a restore job is set up: the same for every restore of this process. */
  record Setup(Vertx vertx, DbCoordinates db, SchemaCheck schema, Path uploadFolder, long uploadStallMillis,
               long maxBytes, ShadowLoader.Workers workers, SpareShadow spare, Seals seals) {
  }

  private final Setup setup;
  private final JobProgress progress;
  private final Connection lock;
  private final StoredUpload upload;
  private final String verdictAddress;
  private final ShadowLoader loader;
  private final CompletableFuture<String> password = new CompletableFuture<>();
  /** The upload's content as it is checked, decompressed when the upload is gzip. */
  private volatile Gzip.Content content;

  private RestoreJob(Setup setup, JobProgress progress, Connection lock, StoredUpload upload, String verdictAddress) {
    this.setup = setup;
    this.progress = progress;
    this.lock = lock;
    this.upload = upload;
    this.verdictAddress = verdictAddress;
    this.loader = new ShadowLoader(setup.db(), progress.id(), upload::contentFile, setup.workers(), setup.spare(),
      setup.uploadStallMillis(), new Listener());
  }

  /**
   * Takes the job lock, or refuses with {@link JobFailure#JOB_RUNNING}, and creates the file the upload is
   * stored in; the verdict on the file will go to {@code verdictAddress}.
   */
  static RestoreJob open(Setup setup, JobProgress progress, String verdictAddress) throws JobException {
    Connection lock = null;
    try {
      lock = Connections.open(setup.db());
      if (!JobLock.tryAcquire(lock)) {
        throw JobException.jobRunning();
      }
      setup.schema().require(lock);
      StoredUpload upload = StoredUpload.create(setup.uploadFolder(), progress.id(), setup.uploadStallMillis());
      try {
        progress.begin();
      } catch (SQLException e) {
        upload.close();
        throw e;
      }
      return new RestoreJob(setup, progress, lock, upload, verdictAddress);
    } catch (JobException e) {
      close(lock);
      throw e;
    } catch (SQLException e) {
      close(lock);
      throw new JobException(JobFailure.DATABASE_UNAVAILABLE, "the database failed while starting the restore: " + e.getMessage(), e);
    } catch (IOException e) {
      close(lock);
      throw new JobException(JobFailure.INTERNAL, "the upload could not be stored in the data folder: " + e.getMessage(), e);
    }
  }

  UUID id() {
    return progress.id();
  }

  /** Where the web verticle stores the upload. */
  Path file() {
    return upload.path();
  }

  /** More of the upload is stored; the password may come with it (first, as the Settings page sends it). */
  void stored(long bytes, String databasePassword) {
    if (databasePassword != null) {
      password.complete(databasePassword);
    }
    upload.stored(bytes);
  }

  /** The whole upload is stored, the password with it. */
  void complete(long bytes, String databasePassword) {
    password.complete(databasePassword);
    progress.bytesTotal(bytes);
    upload.complete(bytes);
  }

  /** The upload stopped (client gone, too large, disk full): the job ends and its verdict follows. */
  void cancel(String why) {
    password.complete("");
    upload.cancel(why);
  }

  /** Runs the whole restore on the job thread. */
  void run() {
    LoadPlan plan;
    try {
      plan = check();
    } catch (JobException e) {
      end(e.getMessage(), e);
      sendVerdict(new JsonObject().put(CODE, e.failure().wireCode()).put(ERROR, e.getMessage()));
      return;
    }
    sendVerdict(new JsonObject().put(JOB_ID, id().toString()).put(FORMAT, plan.format().wireName()));
    try {
      loader.finish(plan);
      progress.phase(Phase.SWAPPING, 0, 0);
      SchemaSwap.swap(lock, loader.schema(), setup.schema(), setup.seals().get().seal(TokenService.newSecret()), id());
      LOG.info("Restore {} replaced the data from a {} backup ({}; schema version {})", id(), plan.format().wireName(),
        plan.origin(), plan.schemaVersion());
    } catch (Exception e) {
      LOG.warn("Restore {} failed: {}", id(), e.toString());
      end("the restore failed and the data was left as it was before: " + e.getMessage(), e);
      return;
    }
    progress.succeed();
    setup.vertx().eventBus().publish(Addresses.SIGNOUT, new JsonObject()
      .put(TYPE, "signout").put(REASON, "restore").put(JOB_ID, id().toString()));
    try {
      SchemaSwap.dropReplaced(lock);
    } catch (SQLException e) {
      LOG.warn("Could not drop the data a restore replaced (the next start tries again): {}", e.getMessage());
    }
    upload.close();
    close(lock);
  }

  /**
   * Checks the whole file as it arrives, and loads its rows meanwhile; the refusal says why the file cannot be
   * restored, or why the check stopped.
   */
  private LoadPlan check() throws JobException {
    try (Gzip.Content arriving = upload.content(setup.maxBytes())) {
      content = arriving;
      return new BackupReader(setup.db(), new Listener(), loader).validate(arriving, password);
    } catch (JobException e) {
      throw e;
    } catch (Gzip.DamagedException e) {
      throw new InvalidBackupException("the file cannot be read: " + e.getMessage() + "; use a complete copy of the backup");
    } catch (Gzip.TooLargeException e) {
      throw new InvalidBackupException("the file is too large: " + e.getMessage() + ", the most this server accepts "
        + "(max_upload_bytes)");
    } catch (StoppedException e) {
      // A failed load stops the reading of the upload too: its failure is then the reason.
      Exception loadFailure = loader.loadFailure();
      if (loadFailure instanceof JobException invalid) {
        throw invalid;
      }
      if (loadFailure != null) {
        throw databaseFailed(loadFailure);
      }
      throw new JobException(JobFailure.CLIENT_GONE, e.getMessage(), e);
    } catch (LoadFailedException | SQLException e) {
      throw databaseFailed(e);
    } catch (Exception e) {
      throw new JobException(JobFailure.INTERNAL, "the file could not be checked: " + e.getMessage(), e);
    }
  }

  private static JobException databaseFailed(Exception e) {
    return new JobException(JobFailure.DATABASE_UNAVAILABLE, "the database failed while the file was loaded: "
      + e.getMessage(), e);
  }

  /**
   * Ends a failed job: its load stops, its shadow is dropped, it is recorded as failed, its upload deleted and
   * the lock released, in that order, so that nothing of it is left when its failure is heard.
   */
  private void end(String error, Exception cause) {
    loader.stop(cause);
    try (Connection c = Connections.open(setup.db())) {
      loader.drop(c);
    } catch (SQLException e) {
      LOG.warn("Could not drop the shadow schema of a failed restore (the next start will): {}", e.getMessage());
    }
    progress.fail(error);
    upload.close();
    close(lock);
  }

  private void sendVerdict(JsonObject verdict) {
    setup.vertx().eventBus().send(verdictAddress, verdict, Addresses.here());
  }

  /** Stops the job from another thread (server stopping): closing the lock's connection also stops a swap. */
  void abort() {
    upload.cancel("the server stopped during the restore");
    loader.abort();
    close(lock);
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
      // Measured against the upload's size: of a gzip upload, the compressed bytes read.
      Gzip.Content checking = content;
      progress.bytesDone(checking != null && checking.compressed() ? checking.sourceBytesRead() : bytes);
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

    @Override
    public void loadFailed() {
      upload.cancel("loading the rows failed");
    }
  }
}
