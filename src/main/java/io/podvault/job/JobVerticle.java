package io.podvault.job;

import static io.podvault.contract.Fields.*;

import io.podvault.auth.SigningKeySeal;
import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.contract.Fields;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.DataFolder;
import io.podvault.db.JobLock;
import io.podvault.dump.DumpFormat;
import io.podvault.dump.SchemaCheck;
import io.podvault.restore.ArrivingFile;
import io.podvault.restore.LoadPlan;
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
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
  private long uploadStallMillis;
  private ShadowLoader.Workers restoreWorkers;
  private JobStore store;
  private SchemaCheck schema;
  /** Derived at the first restore, not at start: the web verticle's derivation already lengthens the start. */
  private SigningKeySeal seal;
  private ExecutorService jobThread;
  private volatile Runnable abortRunning;
  private final Map<String, Upload> uploads = new HashMap<>();

  @Override
  public Future<?> start() throws Exception {
    db = DbCoordinates.fromJson(config().getJsonObject("db"));
    Config config = Config.fromJson(config().getJsonObject("config"));
    restoreDir = config.dataDir().resolve(RESTORE_DIR);
    stallMillis = config.downloadStallSeconds() * 1000L;
    // The web verticle closes a connection idle this long and then cancels its upload; a minute more is the
    // job's own limit, should that word never come.
    uploadStallMillis = (config.httpIdleTimeoutSeconds() + 60) * 1000L;
    restoreWorkers = new ShadowLoader.Workers(config.restoreWorkers(), config.restoreSortMemoryMb());
    LOG.info("Restores use {} {} with {} MB of sort memory each (restore_workers, restore_sort_memory_mb)",
      restoreWorkers.connections(), restoreWorkers.connections() == 1 ? "connection" : "connections",
      restoreWorkers.sortMemoryMb());
    DataFolder.createPrivateDirectories(restoreDir);
    store = new JobStore(db);
    schema = SchemaCheck.of(db);
    warnOfSchemaDifferences();
    jobThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "podvault-job"));
    ChunkCodec.registerOn(vertx.eventBus());
    cleanUpAfterStoppedJobs();
    vertx.eventBus().<JsonObject>consumer(Addresses.BACKUP_START, this::startBackup);
    vertx.eventBus().<JsonObject>consumer(Addresses.RESTORE_START, this::startRestore);
    vertx.eventBus().<JsonObject>consumer(Addresses.RESTORE_STORED, this::uploadStored);
    vertx.eventBus().<JsonObject>consumer(Addresses.RESTORE_UPLOADED, this::uploadComplete);
    vertx.eventBus().<JsonObject>consumer(Addresses.RESTORE_CANCEL, this::uploadCancelled);
    return Future.succeededFuture();
  }

  /** The signing key's seal, the same for every restore of this process (the key's salt never changes). */
  private synchronized SigningKeySeal seal() throws SQLException {
    if (seal == null) {
      seal = SigningKeySeal.prepare(db);
    }
    return seal;
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
    store.close();
    return Future.succeededFuture();
  }

  private void startBackup(Message<JsonObject> message) {
    JsonObject request = message.body();
    // The web verticle sends only names it knows; a node of another version may not know them all.
    Optional<DumpFormat> format = DumpFormat.fromWireName(request.getString(FORMAT));
    if (format.isEmpty()) {
      message.fail(JobFailure.INTERNAL.wireCode(), "this server cannot write backups in the format '"
        + request.getString(FORMAT) + "'; run the same podvault version on every node");
      return;
    }
    UUID id = UUID.randomUUID();
    JobProgress progress = new JobProgress(vertx, store, id, KIND_BACKUP, request.getString(STARTED_BY), Phase.STARTING);
    StreamSender stream = new StreamSender(vertx, request.getString(STREAM_ADDRESS), id.toString(), stallMillis);
    BackupJob job;
    try {
      job = BackupJob.open(db, schema, request.getString(DATABASE_PASS), format.get(), progress, stream);
    } catch (JobException e) {
      message.fail(e.failure().wireCode(), e.getMessage());
      return;
    }
    message.reply(new JsonObject().put(JOB_ID, id.toString()));
    runOnJobThread(job::run, job::abort);
  }

  /**
   * Begins a restore as its upload begins: takes the lock at once (a second job gets 409 before a byte is
   * sent), creates the file the web verticle stores the upload in, and checks it on the job thread as it
   * arrives. The verdict goes to the {@link Addresses#RESTORE_UPLOADED} request, or, when the file is
   * refused while it still arrives, at once to the web verticle's notify address.
   */
  private void startRestore(Message<JsonObject> message) {
    JsonObject request = message.body();
    UUID id = UUID.randomUUID();
    Path file = restoreDir.resolve("restore-" + id + ".sql");
    ArrivingFile input;
    try {
      DataFolder.createPrivateFile(file);
      input = new ArrivingFile(file, uploadStallMillis);
    } catch (IOException e) {
      RestoreJob.delete(file);
      message.fail(JobFailure.INTERNAL.wireCode(), "the upload could not be stored in the data folder: " + e.getMessage());
      return;
    }
    JobProgress progress = new JobProgress(vertx, store, id, KIND_RESTORE, request.getString(STARTED_BY), Phase.VALIDATING);
    progress.bytesTotal(request.getLong(BYTES));
    RestoreJob job;
    try {
      job = RestoreJob.open(vertx, db, schema, file, progress, restoreWorkers, this::seal);
    } catch (JobException e) {
      closeQuietly(input);
      message.fail(e.failure().wireCode(), e.getMessage());
      return;
    }
    Upload upload = new Upload(input, progress, new CompletableFuture<>(), new CompletableFuture<>(), new AtomicBoolean());
    uploads.put(id.toString(), upload);
    String notify = request.getString(NOTIFY_ADDRESS);
    upload.checked().whenComplete((backup, failure) -> {
      // Refused before the upload was complete: the web verticle hears it now, not at the end of the upload.
      if (failure instanceof JobException refused && !upload.awaited().get()) {
        vertx.eventBus().send(notify, new JsonObject().put(CODE, refused.failure().wireCode()).put(ERROR, refused.getMessage()));
      }
    });
    message.reply(new JsonObject().put(JOB_ID, id.toString()).put(FILE, file.toString()));
    runOnJobThread(() -> {
      LoadPlan backup;
      try {
        backup = job.validate(input, upload.password());
      } catch (JobException e) {
        upload.checked().completeExceptionally(e);
        return;
      } finally {
        closeQuietly(input);
      }
      upload.checked().complete(backup);
      job.run(backup);
    }, () -> {
      input.cancel("the server stopped while the upload arrived");
      job.abort();
    });
  }

  /** More of an upload is stored; the password may come with it. */
  private void uploadStored(Message<JsonObject> message) {
    Upload upload = uploads.get(message.body().getString(JOB_ID));
    if (upload != null) {
      upload.input().stored(message.body().getLong(BYTES));
      String password = message.body().getString(DATABASE_PASS);
      if (password != null) {
        upload.password().complete(password);
      }
    }
  }

  /** The upload is complete; answers when the check has finished: the job id, or why the file is refused. */
  private void uploadComplete(Message<JsonObject> message) {
    Upload upload = uploads.get(message.body().getString(JOB_ID));
    if (upload == null) {
      message.fail(JobFailure.INTERNAL.wireCode(), "the restore of this upload has already ended");
      return;
    }
    upload.awaited().set(true);
    upload.password().complete(message.body().getString(DATABASE_PASS));
    upload.progress().bytesTotal(message.body().getLong(BYTES));
    upload.input().complete(message.body().getLong(BYTES));
    upload.checked().whenComplete((backup, failure) -> {
      forget(message.body().getString(JOB_ID));
      if (failure instanceof JobException refused) {
        message.fail(refused.failure().wireCode(), refused.getMessage());
      } else if (failure != null) {
        message.fail(JobFailure.INTERNAL.wireCode(), failure.getMessage());
      } else {
        message.reply(new JsonObject().put(JOB_ID, message.body().getString(JOB_ID)).put(FORMAT, backup.format().wireName()));
      }
    });
  }

  /**
   * The upload stopped (refused by the check, client gone, disk full); answers once the job has ended and
   * the file is gone.
   */
  private void uploadCancelled(Message<JsonObject> message) {
    Upload upload = uploads.get(message.body().getString(JOB_ID));
    if (upload == null) {
      message.reply(new JsonObject());
      return;
    }
    upload.awaited().set(true);
    upload.input().cancel(message.body().getString(REASON));
    upload.checked().whenComplete((backup, failure) -> {
      forget(message.body().getString(JOB_ID));
      message.reply(new JsonObject());
    });
  }

  /** Every upload ends with one of the web verticle's last two messages (complete or cancelled), then goes. */
  private void forget(String jobId) {
    context.runOnContext(v -> uploads.remove(jobId));
  }

  /**
   * A restore whose upload is still arriving or being checked; {@code awaited} once the web verticle waits
   * for the verdict in a reply (then it needs no separate notice).
   */
  private record Upload(ArrivingFile input, JobProgress progress, CompletableFuture<String> password,
                        CompletableFuture<LoadPlan> checked, AtomicBoolean awaited) {
  }

  private static void closeQuietly(ArrivingFile input) {
    try {
      input.close();
    } catch (IOException ignored) {
      // read-only; nothing is lost
    }
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

  /** Says at start what makes every job be refused, rather than at the first backup. */
  private void warnOfSchemaDifferences() throws SQLException {
    try (Connection c = Connections.open(db)) {
      List<String> differences = schema.differences(c);
      if (!differences.isEmpty()) {
        LOG.warn("Backups and restores will be refused: {}", SchemaCheck.refusal(differences));
      }
    }
  }

  /**
   * A process killed during a job leaves its job record "running", perhaps a shadow schema and a stored
   * upload. Unless some process still runs a job, they are cleaned here.
   */
  private void cleanUpAfterStoppedJobs() throws SQLException, IOException {
    // Holding the job lock while cleaning keeps a job of another process from starting meanwhile.
    try (Connection c = Connections.open(db)) {
      if (!JobLock.tryAcquire(c)) {
        return;
      }
      // A restore whose swap committed recorded its success in the swap itself: only jobs that never got
      // that far are still "running" here, and their data was left as it was.
      int abandoned = store.failAbandoned(c);
      if (abandoned > 0) {
        LOG.warn("Marked {} job(s) left running by a stopped server as failed", abandoned);
      }
      try {
        ShadowLoader.dropLeftovers(c);
        SchemaSwap.dropReplaced(c);
      } catch (SQLException e) {
        LOG.warn("A schema left by an earlier restore was kept: {}", e.getMessage());
      }
      try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(restoreDir)) {
        for (Path leftover : leftovers) {
          Files.deleteIfExists(leftover);
        }
      }
      JobLock.release(c);
    }
  }
}
