package io.podvault.job;

import static io.podvault.job.Fields.*;

import io.podvault.config.DbCoordinates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker verticle that runs dump and restore jobs. Requests arrive over the event bus; the checks that
 * decide the answer (password, job lock) run here on the worker context, then the long work runs on the
 * job thread, so acknowledgements of the download stream keep flowing to this verticle meanwhile.
 */
public class JobVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(JobVerticle.class);

  private DbCoordinates db;
  private JobStore store;
  private ExecutorService jobThread;
  private volatile BackupJob running;

  @Override
  public Future<?> start() throws Exception {
    db = DbCoordinates.fromJson(config().getJsonObject("db"));
    store = new JobStore(db);
    jobThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "podvault-job"));
    failAbandonedJobs();
    vertx.eventBus().<JsonObject>consumer(Addresses.BACKUP_START, this::startBackup);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() throws Exception {
    BackupJob job = running;
    if (job != null) {
      LOG.warn("Server stopping: aborting the running backup");
      job.abort();
    }
    jobThread.shutdown();
    jobThread.awaitTermination(30, TimeUnit.SECONDS);
    return Future.succeededFuture();
  }

  private void startBackup(Message<JsonObject> message) {
    JsonObject request = message.body();
    UUID id = UUID.randomUUID();
    JobProgress progress = new JobProgress(vertx, store, id, KIND_BACKUP, request.getString(STARTED_BY), "starting");
    StreamSender stream = new StreamSender(vertx, request.getString(STREAM_ADDRESS), id.toString());
    BackupJob job;
    try {
      job = BackupJob.open(db, request.getString(DATABASE_PASS), progress, stream);
    } catch (JobException e) {
      message.fail(e.failure().ordinal(), e.getMessage());
      return;
    }
    running = job;
    message.reply(new JsonObject().put(JOB_ID, id.toString()));
    jobThread.execute(() -> {
      try {
        job.run();
      } finally {
        running = null;
      }
    });
  }

  /** Jobs a killed process left "running" are marked failed, unless some process still runs a job. */
  private void failAbandonedJobs() throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.jdbcProperties())) {
      if (!JobLock.held(c)) {
        int abandoned = store.failAbandoned(c);
        if (abandoned > 0) {
          LOG.warn("Marked {} job(s) left running by a stopped server as failed", abandoned);
        }
      }
    }
  }
}
