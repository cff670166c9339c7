package io.podvault.job;

import static io.podvault.contract.Fields.*;

import io.podvault.auth.SigningKeySeal;
import io.podvault.cluster.Majority;
import io.podvault.cluster.SharedFolder;
import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.DataFolder;
import io.podvault.db.JobLock;
import io.podvault.dump.BackupConnections;
import io.podvault.dump.DumpFormat;
import io.podvault.dump.SchemaCheck;
import io.podvault.dump.SealingKey;
import io.podvault.folder.BackupFolder;
import io.podvault.metrics.Metrics;
import io.podvault.restore.SchemaSwap;
import io.podvault.restore.ShadowLoader;
import io.podvault.restore.SpareShadow;
import io.podvault.restore.StoredUpload;
import io.podvault.schedule.ScheduledRuns;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker verticle that runs dump and restore jobs. Requests arrive over the event bus; the quick
 * checks that decide the answer (password, job lock) run here on the worker context, the long work on the
 * job thread, so acknowledgements of a download stream keep reaching this verticle meanwhile.
 */
public class JobVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(JobVerticle.class);
  /** Where restores store their uploads ({@link StoredUpload}). */
  public static final String RESTORE_DIR = "restore";
  /** Who starts scheduled backups, in their job records. */
  static final String SCHEDULE = "schedule";
  /**
   * The verticle's config key that makes it run the jobs it is asked for and nothing else (the command line): no
   * scheduled backups, no spare shadow schema for a next restore.
   */
  public static final String REQUESTED_JOBS_ONLY = "requested_jobs_only";
  /**
   * How often this process looks for jobs whose process died (kill -9, a lost machine): a job recorded as running while
   * nobody holds the job lock, seen at two checks in a row, is failed and cleaned up by a survivor.
   */
  private static final long ORPHAN_CHECK_MILLIS = 3_000;
  /** How often the schedule is looked at: a run starts within this of its time. */
  private static final long SCHEDULE_CHECK_MILLIS = 1_000;

  private final Majority majority;
  private DbCoordinates db;
  private Path restoreDir;
  private long stallMillis;
  private RestoreJob.Setup restoreSetup;
  private JobStore store;
  private SchemaCheck schema;
  /** Derived at the first restore, not at start: the web verticle's derivation already lengthens the start. */
  private SigningKeySeal seal;
  private ExecutorService jobThread;
  private SpareShadow spare;
  private BackupConnections backupConnections;
  private BackupFolder backupFolder;
  private boolean gzipBackups;
  private ScheduledRuns scheduledRuns;
  private long scheduleTimer = -1;
  private long orphanTimer = -1;
  private boolean checkingOrphans;
  private volatile Connection orphanCheck;
  /** Jobs found running with the lock free at the last check: orphans if they still are at the next. */
  private volatile Set<UUID> suspectedOrphans = Set.of();
  private final MissedEnds missedEnds = new MissedEnds();
  private boolean checkingSchedule;
  private boolean requestedJobsOnly;
  /** The job on the job thread, and how to abort it. */
  private record Running(JobProgress progress, Runnable abort) {
  }

  private final AtomicReference<Running> running = new AtomicReference<>();
  /** Restores by job id, while they run: where their upload events go. */
  private final Map<String, RestoreJob> restores = new HashMap<>();

  /** The job verticle of a single process. */
  public JobVerticle() {
    this(Majority.ALWAYS);
  }

  /** The job verticle of a cluster's node, which starts jobs only while it sees a {@code majority} of the members. */
  public JobVerticle(Majority majority) {
    this.majority = majority;
  }

  @Override
  public Future<?> start() throws Exception {
    db = DbCoordinates.fromJson(config().getJsonObject("db"));
    Config config = Config.fromJson(config().getJsonObject("config"));
    requestedJobsOnly = config().getBoolean(REQUESTED_JOBS_ONLY, false);
    restoreDir = config.dataDir().resolve(RESTORE_DIR);
    stallMillis = config.downloadStallSeconds() * 1000L;
    // The web verticle closes a connection idle this long and then cancels its upload; a minute more is the
    // job's own limit, should that word never come.
    long uploadStallMillis = (config.httpIdleTimeoutSeconds() + 60) * 1000L;
    ShadowLoader.Workers restoreWorkers = new ShadowLoader.Workers(config.restoreWorkers(), config.restoreSortMemoryMb());
    LOG.info("Restores use {} {} with {} MB of sort memory each (restore_workers, restore_sort_memory_mb)",
      restoreWorkers.connections(), restoreWorkers.connections() == 1 ? "connection" : "connections",
      restoreWorkers.sortMemoryMb());
    DataFolder.createPrivateDirectories(restoreDir);
    backupFolder = new BackupFolder(config.backupDir());
    backupFolder.prepare();
    if (config.cluster() != null) {
      SharedFolder.check(db, backupFolder.dir());
    }
    gzipBackups = config.gzipBackups();
    store = new JobStore(db);
    Instant lastBackup = store.lastSucceeded(KIND_BACKUP);
    if (lastBackup != null) {
      Metrics.backupSucceededAt(lastBackup);
    }
    schema = SchemaCheck.of(db);
    spare = new SpareShadow(db);
    backupConnections = new BackupConnections(db, BackupJob.READERS);
    restoreSetup = new RestoreJob.Setup(vertx, db, schema, restoreDir, uploadStallMillis, config.maxUploadBytes(), restoreWorkers,
      spare, this::seal);
    warnOfSchemaDifferences();
    jobThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "podvault-job"));
    ChunkCodec.registerOn(vertx.eventBus());
    cleanUpAfterStoppedJobs();
    vertx.eventBus().<JsonObject>localConsumer(Addresses.BACKUP_START, this::startBackup);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.BACKUP_TO_FOLDER, this::startFolderBackup);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.RESTORE_START, this::startRestore);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.RESTORE_UPLOAD, this::uploadEvent);
    if (!requestedJobsOnly) {
      scheduledRuns = new ScheduledRuns(db, ZoneId.systemDefault());
      vertx.eventBus().consumer(Addresses.SCHEDULE_CHANGED, m -> scheduledRuns.changed());
      scheduleTimer = vertx.setPeriodic(SCHEDULE_CHECK_MILLIS, t -> checkSchedule());
      vertx.eventBus().<JsonObject>consumer(Addresses.PROGRESS, m -> missedEnds.received(m.body()));
      // Its connection opens now, at the start, rather than 3 s later, when it could fall within the first job.
      orphanCheck = Connections.open(db);
      orphanTimer = vertx.setPeriodic(ORPHAN_CHECK_MILLIS, t -> checkOrphans());
    }
    return Future.succeededFuture();
  }

  /**
   * Readies the first jobs in the background: derives the backups' sealing key, opens the first backup's
   * connections and builds the spare shadow schema of the next restore. Called once the server is up, so that it
   * does not lengthen the start.
   */
  public void prepareForJobs() {
    SealingKey.prepare(db);
    backupConnections.prepare();
    spare.build();
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
    for (long timer : new long[] {scheduleTimer, orphanTimer}) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    Running running = this.running.get();
    // A job that has ended is only tidying up (dropping the data a restore replaced): it is let finish.
    if (running != null && !running.progress().ended()) {
      LOG.warn("Stopping: aborting the running job");
      running.abort().run();
    }
    jobThread.shutdown();
    jobThread.awaitTermination(30, TimeUnit.SECONDS);
    // A check still under way then fails on it, harmlessly: the timer is cancelled.
    closeOrphanCheck();
    spare.close();
    backupConnections.close();
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
    try {
      startBackup(progress, request.getString(DATABASE_PASS), format.get(), BackupJob.toDownload(stream, id.toString()));
    } catch (JobException e) {
      message.fail(e.failure().wireCode(), e.getMessage());
      return;
    }
    message.reply(new JsonObject().put(JOB_ID, id.toString()));
  }

  /**
   * A backup into the server's backup folder, or into the request's {@link io.podvault.contract.Fields#FILE} (the
   * command line's {@code --out}, compressed when its name ends in {@code .gz}), sealed with this server's own
   * database password; the reply (the job) comes once the job holds the lock, and the file takes its name once it
   * is whole.
   */
  private void startFolderBackup(Message<JsonObject> message) {
    JobProgress progress = new JobProgress(vertx, store, UUID.randomUUID(), KIND_BACKUP, message.body().getString(STARTED_BY),
      Phase.STARTING);
    String file = message.body().getString(FILE);
    BackupFolder.Writing writing;
    try {
      writing = file == null ? beginFolderFile() : beginFile(Path.of(file));
      startBackup(progress, db.password(), DumpFormat.PODVAULT, BackupJob.toFolder(writing, () -> { }));
    } catch (JobException e) {
      message.fail(e.failure().wireCode(), e.getMessage());
      return;
    }
    message.reply(new JsonObject().put(JOB_ID, progress.id().toString()).put(FILE, writing.path().toString()));
  }

  /**
   * Starts the scheduled backup when it is due, here and on no other process. The database is asked off this
   * verticle's context, which a slow or unreachable database would otherwise hold up; one check at a time.
   */
  private void checkSchedule() {
    if (checkingSchedule) {
      return;
    }
    checkingSchedule = true;
    vertx.executeBlocking(() -> scheduledRuns.claimIfDue(Instant.now(), UUID.randomUUID()), false)
      .onComplete(claimed -> {
        checkingSchedule = false;
        if (claimed.failed()) {
          LOG.warn("Could not read the backup schedule: {}", claimed.cause().getMessage());
        } else if (claimed.result().isPresent()) {
          startScheduledBackup(claimed.result().get());
        }
      });
  }

  /**
   * The periodic check of the jobs' records, off this verticle's context. It fails the jobs of a process that died,
   * once seen twice: their records say running, but nobody holds the job lock (it went with the dead process's
   * database session). Every administrator hears of it, and the dead job's shadow schema is dropped. A job that has
   * just released the lock records its end within moments, long before the next check. It also delivers here the
   * ends of jobs that this node missed ({@link MissedEnds}).
   */
  private void checkOrphans() {
    if (checkingOrphans) {
      return;
    }
    checkingOrphans = true;
    vertx.executeBlocking(this::checkJobs, false).onComplete(done -> {
      checkingOrphans = false;
      if (done.failed()) {
        LOG.debug("Orphaned jobs not checked: {}", done.cause().toString());
        return;
      }
      for (JsonObject event : done.result().missedEnds()) {
        LOG.info("The end of job {} ({}) was not heard on the event bus; delivered here from the job's record "
          + "(another node's event lost as the cluster's members changed, or a job of the command line)",
          event.getString(JOB_ID), event.getString(STATE));
        vertx.eventBus().publish(Addresses.PROGRESS, event, Addresses.here());
      }
      for (JsonObject event : done.result().orphans()) {
        LOG.warn("Job {} was left running by a process that stopped; marked failed", event.getString(JOB_ID));
        vertx.eventBus().publish(Addresses.PROGRESS, event);
      }
    });
  }

  /** What a check found: the ends of jobs this node missed, and the jobs it failed as orphans, as their last events. */
  private record Checked(List<JsonObject> missedEnds, List<JsonObject> orphans) {
  }

  /** One connection for the checks, kept between them; a check that fails closes it (and a lock it took with it). */
  private Checked checkJobs() throws SQLException {
    if (orphanCheck == null) {
      orphanCheck = Connections.open(db);
    }
    try {
      List<UUID> running = store.running(orphanCheck);
      List<JsonObject> missed = store.endedEvents(orphanCheck, missedEnds.check(running));
      return new Checked(missed, failOrphans(orphanCheck, running));
    } catch (SQLException | RuntimeException e) {
      closeOrphanCheck();
      throw e;
    }
  }

  private void closeOrphanCheck() {
    Connection c = orphanCheck;
    orphanCheck = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // broken already: its session, and any lock it held, is gone
      }
    }
  }

  private List<JsonObject> failOrphans(Connection c, List<UUID> running) throws SQLException {
    if (running.isEmpty() || !JobLock.tryAcquire(c)) {
      suspectedOrphans = Set.of();
      return List.of();
    }
    try {
      List<UUID> orphans = running.stream().filter(suspectedOrphans::contains).toList();
      suspectedOrphans = Set.copyOf(running);
      if (orphans.isEmpty()) {
        return List.of();
      }
      List<JsonObject> failed = store.failOrphaned(c, orphans, "the process running this job stopped (its database "
        + "session ended); nothing was changed by it");
      try {
        ShadowLoader.dropLeftovers(c);
        SchemaSwap.dropReplaced(c);
      } catch (SQLException e) {
        LOG.warn("A schema left by the stopped job was kept: {}", e.getMessage());
      }
      return failed;
    } finally {
      JobLock.release(c);
    }
  }

  private void startScheduledBackup(ScheduledRuns.Run run) {
    Integer keep = run.retentionCount();
    JobProgress progress = new JobProgress(vertx, store, run.jobId(), KIND_BACKUP, SCHEDULE, Phase.STARTING);
    try {
      startBackup(progress, db.password(), DumpFormat.PODVAULT, BackupJob.toFolder(beginFolderFile(), () -> prune(keep)));
      LOG.info("Scheduled backup {} started", progress.id());
    } catch (JobException e) {
      LOG.warn("The scheduled backup did not start: {}", e.getMessage());
      scheduledRuns.refused(e.getMessage());
      progress.notStarted(e.getMessage());
    }
  }

  /** A new file of the backup folder. */
  private BackupFolder.Writing beginFolderFile() throws JobException {
    try {
      return backupFolder.begin(Instant.now(), gzipBackups);
    } catch (IOException e) {
      throw new JobException(JobFailure.INTERNAL, "the backup folder " + backupFolder.dir() + " cannot be written: " + e.getMessage(), e);
    }
  }

  private static BackupFolder.Writing beginFile(Path file) throws JobException {
    try {
      return BackupFolder.beginFile(file, file.getFileName().toString().endsWith(".gz"));
    } catch (IOException e) {
      throw new JobException(JobFailure.INTERNAL, "the file " + file + " cannot be written: " + e.getMessage(), e);
    }
  }

  /** After a scheduled backup has succeeded: only the newest {@code keep} of podvault's files stay, if a count is set. */
  private void prune(Integer keep) {
    if (keep == null) {
      return;
    }
    try {
      List<String> deleted = backupFolder.prune(keep);
      if (!deleted.isEmpty()) {
        LOG.info("Deleted {} older backup(s) beyond the {} kept: {}", deleted.size(), keep, deleted);
      }
    } catch (IOException e) {
      LOG.warn("Could not delete older backups beyond the {} kept: {}", keep, e.getMessage());
    }
  }

  /** Opens a backup and runs it on the job thread; a refused one has used nothing (a folder file is deleted). */
  private void startBackup(JobProgress progress, String password, DumpFormat format, BackupJob.Sink sink) throws JobException {
    BackupJob job;
    try {
      String lacking = majority.lacking();
      if (lacking != null) {
        throw new JobException(JobFailure.CLUSTER_MINORITY, lacking);
      }
      job = BackupJob.open(db, backupConnections, schema, password, format, progress, sink);
    } catch (JobException e) {
      prepareNextBackup();
      sink.refused();
      throw e;
    }
    runOnJobThread(progress, () -> {
      try {
        job.run();
      } finally {
        prepareNextBackup();
      }
    }, job::abort);
  }

  /**
   * Begins a restore as its upload begins: takes the lock at once (a second job gets 409 before a byte is
   * sent) and replies with the job and the file to store the upload in. The job checks and loads the file on
   * the job thread as it arrives ({@link Addresses#RESTORE_UPLOAD} says how far), and sends its verdict to the
   * request's verdict address.
   */
  private void startRestore(Message<JsonObject> message) {
    String lacking = majority.lacking();
    if (lacking != null) {
      message.fail(JobFailure.CLUSTER_MINORITY.wireCode(), lacking);
      return;
    }
    JsonObject request = message.body();
    JobProgress progress = new JobProgress(vertx, store, UUID.randomUUID(), KIND_RESTORE, request.getString(STARTED_BY),
      Phase.VALIDATING);
    progress.bytesTotal(request.getLong(BYTES));
    RestoreJob job;
    try {
      job = RestoreJob.open(restoreSetup, progress, request.getString(VERDICT_ADDRESS));
    } catch (JobException e) {
      message.fail(e.failure().wireCode(), e.getMessage());
      return;
    }
    String id = job.id().toString();
    restores.put(id, job);
    message.reply(new JsonObject().put(JOB_ID, id).put(FILE, job.file().toString()));
    runOnJobThread(progress, () -> {
      try {
        job.run();
      } finally {
        context.runOnContext(v -> restores.remove(id));
        if (!requestedJobsOnly) {
          spare.build();
        }
      }
    }, job::abort);
  }

  /** How far an upload has come: stored bytes (the password may come with them), complete, or cancelled. */
  private void uploadEvent(Message<JsonObject> message) {
    JsonObject event = message.body();
    RestoreJob job = restores.get(event.getString(JOB_ID));
    if (job == null) {
      return; // ended already; its verdict is on its way
    }
    switch (event.getString(UPLOAD_STATE)) {
      case UPLOAD_STORING -> job.stored(event.getLong(BYTES), event.getString(DATABASE_PASS));
      case UPLOAD_COMPLETE -> job.complete(event.getLong(BYTES), event.getString(DATABASE_PASS));
      default -> job.cancel(event.getString(REASON));
    }
  }

  private void runOnJobThread(JobProgress progress, Runnable work, Runnable abort) {
    Running job = new Running(progress, abort);
    running.set(job);
    jobThread.execute(() -> {
      try {
        work.run();
      } finally {
        // The next job may have been handed over already, while this one tidied up after releasing the lock.
        running.compareAndSet(job, null);
      }
    });
  }

  /** Opens the next backup's connections ahead, unless this process runs only the jobs it is asked for. */
  private void prepareNextBackup() {
    if (!requestedJobsOnly) {
      backupConnections.prepare();
    }
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
   * A process killed during a job leaves its job record "running", perhaps a shadow schema, a stored upload or a
   * half-written backup. Its stored upload is always deleted here; the rest, unless some process still runs a job.
   */
  private void cleanUpAfterStoppedJobs() throws SQLException, IOException {
    if (!requestedJobsOnly) {
      // The data folder is this server's alone (it holds the folder's lock): an upload stored in it belongs to no job
      // of another process, whatever runs elsewhere. The command line shares a running server's folder, and leaves it.
      StoredUpload.deleteLeftovers(restoreDir);
    }
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
      backupFolder.deleteLeftovers();
      JobLock.release(c);
    }
  }
}
