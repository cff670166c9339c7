package io.podvault.job;

import static io.podvault.job.Fields.*;

import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.restore.BackupValidator.Validated;
import io.podvault.restore.SchemaSwap;
import io.podvault.restore.ShadowLoader;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker verticle that runs dump and restore jobs. Requests arrive over the event bus; the quick
 * checks that decide the answer (password, job lock) run here on the worker context, the long work on the
 * job thread, so acknowledgements of a download stream keep reaching this verticle meanwhile.
 */
public class JobVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(JobVerticle.class);
  /** Where the web verticle hands over stored uploads; the job that receives one owns and deletes it. */
  public static final String RESTORE_DIR = "restore";

  private DbCoordinates db;
  private Path restoreDir;
  private long stallMillis;
  private JobStore store;
  private ExecutorService jobThread;
  private volatile Runnable abortRunning;

  @Override
  public Future<?> start() throws Exception {
    db = DbCoordinates.fromJson(config().getJsonObject("db"));
    Config config = Config.fromJson(config().getJsonObject("config"));
    restoreDir = config.dataDir().resolve(RESTORE_DIR);
    stallMillis = config.downloadStallSeconds() * 1000L;
    Files.createDirectories(restoreDir);
    store = new JobStore(db);
    jobThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "podvault-job"));
    cleanUpAfterStoppedJobs();
    vertx.eventBus().<JsonObject>consumer(Addresses.BACKUP_START, this::startBackup);
    vertx.eventBus().<JsonObject>consumer(Addresses.RESTORE_START, this::startRestore);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() throws Exception {
    Runnable abort = abortRunning;
    if (abort != null) {
      LOG.warn("Server stopping: aborting the running job");
      abort.run();
    }
    jobThread.shutdown();
    jobThread.awaitTermination(30, TimeUnit.SECONDS);
    return Future.succeededFuture();
  }

  private void startBackup(Message<JsonObject> message) {
    JsonObject request = message.body();
    UUID id = UUID.randomUUID();
    JobProgress progress = new JobProgress(vertx, store, id, KIND_BACKUP, request.getString(STARTED_BY), "starting");
    StreamSender stream = new StreamSender(vertx, request.getString(STREAM_ADDRESS), id.toString(), stallMillis);
    BackupJob job;
    try {
      job = BackupJob.open(db, request.getString(DATABASE_PASS), progress, stream);
    } catch (JobException e) {
      message.fail(e.failure().ordinal(), e.getMessage());
      return;
    }
    message.reply(new JsonObject().put(JOB_ID, id.toString()));
    runOnJobThread(job::run, job::abort);
  }

  /**
   * Takes the lock at once (a second job gets 409 without waiting), then validates on the job thread and
   * answers only when the whole file has passed; the load follows on the same thread.
   */
  private void startRestore(Message<JsonObject> message) {
    JsonObject request = message.body();
    Path file = Path.of(request.getString(FILE));
    if (!file.toAbsolutePath().normalize().getParent().equals(restoreDir.toAbsolutePath().normalize())) {
      message.fail(JobFailure.INTERNAL.ordinal(), "a restore reads only files stored by this server");
      return;
    }
    UUID id = UUID.randomUUID();
    JobProgress progress = new JobProgress(vertx, store, id, KIND_RESTORE, request.getString(STARTED_BY), "validating");
    RestoreJob job;
    try {
      job = RestoreJob.open(vertx, db, file, progress);
    } catch (JobException e) {
      message.fail(e.failure().ordinal(), e.getMessage());
      return;
    }
    runOnJobThread(() -> {
      Validated backup;
      try {
        backup = job.validate(request.getString(DATABASE_PASS));
      } catch (JobException e) {
        message.fail(e.failure().ordinal(), e.getMessage());
        return;
      }
      message.reply(new JsonObject().put(JOB_ID, id.toString()));
      job.run(backup);
    }, job::abort);
  }

  private void runOnJobThread(Runnable work, Runnable abort) {
    abortRunning = abort;
    jobThread.execute(() -> {
      try {
        work.run();
      } finally {
        abortRunning = null;
      }
    });
  }

  /**
   * A process killed during a job leaves its job record "running", perhaps a shadow schema and a stored
   * upload. Unless some process still runs a job, they are cleaned here.
   */
  private void cleanUpAfterStoppedJobs() throws SQLException, IOException {
    // Holding the job lock while cleaning keeps a job of another process from starting meanwhile.
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.jdbcProperties())) {
      try {
        JobLock.acquire(c);
      } catch (JobException running) {
        return;
      }
      int abandoned = store.failAbandoned(c);
      if (abandoned > 0) {
        LOG.warn("Marked {} job(s) left running by a stopped server as failed", abandoned);
      }
      ShadowLoader.drop(c);
      SchemaSwap.dropLeftovers(c);
      try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(restoreDir)) {
        for (Path leftover : leftovers) {
          Files.deleteIfExists(leftover);
        }
      }
      JobLock.release(c);
    }
  }
}
