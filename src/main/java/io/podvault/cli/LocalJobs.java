package io.podvault.cli;

import static io.podvault.contract.Fields.*;

import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.db.DataFolder;
import io.podvault.db.EmbeddedDatabase;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import io.podvault.job.FileRestore;
import io.podvault.job.JobVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line's own podvault: the database, migrated as a server's is, and a job verticle that runs the jobs it
 * is asked for and nothing else, under the job lock every server takes. The database is the external one when one is
 * configured; else the embedded one, reached as a client when a running server holds the data folder (its port from
 * the cluster's {@code postmaster.pid}), or started here for the command's length when none does.
 */
final class LocalJobs implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalJobs.class);
  private static final long START_TIMEOUT_MILLIS = 60_000;

  private final Vertx vertx;
  private final Config config;
  private final DataFolder folder;
  private final EmbeddedDatabase embedded;
  private final DbCoordinates db;
  private boolean closed;
  private final String startedBy = "command line (" + System.getProperty("user.name", "unknown") + ")";

  private LocalJobs(Vertx vertx, Config config, DataFolder folder, EmbeddedDatabase embedded, DbCoordinates db) {
    this.vertx = vertx;
    this.config = config;
    this.folder = folder;
    this.embedded = embedded;
    this.db = db;
  }

  static LocalJobs open(Config config) throws Exception {
    DataFolder folder = null;
    EmbeddedDatabase embedded = null;
    Vertx vertx = null;
    try {
      DbCoordinates db;
      if (config.dbUrl() != null) {
        db = config.externalDatabase();
      } else {
        try {
          folder = DataFolder.lock(config.dataDir());
          embedded = EmbeddedDatabase.start(config.dataDir(), config.dbPassword(), config.embeddedDbPort());
          db = embedded.coordinates();
        } catch (DataFolder.InUseException running) {
          db = EmbeddedDatabase.ofRunningServer(config.dataDir(), config.dbPassword());
          LOG.info("A running server holds {}: using its database at port {}", config.dataDir(), db.port());
        }
      }
      Migrations.migrate(db, SchemaCheck.adoption(db));
      vertx = Vertx.vertx();
      JsonObject verticleConfig = new JsonObject().put("config", config.toJson()).put("db", db.toJson())
        .put(JobVerticle.REQUESTED_JOBS_ONLY, true);
      await(vertx.deployVerticle(new JobVerticle(),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(verticleConfig)));
      LocalJobs jobs = new LocalJobs(vertx, config, folder, embedded, db);
      // Ctrl-C: a running job is aborted (its file deleted, its record failed), the embedded database stopped.
      Runtime.getRuntime().addShutdownHook(new Thread(jobs::close, "podvault-command-stop"));
      return jobs;
    } catch (Exception | Error e) {
      closeAll(vertx, embedded, folder);
      throw e;
    }
  }

  /**
   * Backs up into {@code out}, or into the backup folder when it is null, and waits for the job's end; returns the job's
   * last event, with the file's path in {@code file}.
   */
  JsonObject backup(Path out, Consumer<JsonObject> progress) throws Exception {
    Promise<JsonObject> ended = following(progress);
    JsonObject request = new JsonObject().put(STARTED_BY, startedBy).put(FILE, out == null ? null : out.toAbsolutePath().toString());
    JsonObject reply = await(vertx.eventBus().<JsonObject>request(Addresses.BACKUP_TO_FOLDER, request,
      Addresses.here(START_TIMEOUT_MILLIS))).body();
    return await(ended.future()).copy().put(FILE, reply.getString(FILE));
  }

  /**
   * Restores {@code file}, whose seal is {@code password}'s (this server's database password when null), and waits for
   * the job's end; returns the job's last event, or the refusal of the file ({@code code}, {@code error}).
   */
  JsonObject restore(Path file, String password, Consumer<JsonObject> progress) throws Exception {
    Promise<JsonObject> ended = following(progress);
    JsonObject verdict = await(FileRestore.start(vertx, startedBy, file, password != null ? password : db.password(),
      config.maxUploadBytes()));
    return verdict.getString(JOB_ID) == null ? verdict : await(ended.future());
  }

  /**
   * Hands every event of this process's job to {@code progress}; completes with the last one, whose
   * {@code rows_total} is then the most rows the job counted (its last phases count none).
   */
  private Promise<JsonObject> following(Consumer<JsonObject> progress) {
    Promise<JsonObject> ended = Promise.promise();
    long[] mostRows = {0};
    // Only the job this command asked for runs in this process.
    vertx.eventBus().<JsonObject>localConsumer(Addresses.PROGRESS, message -> {
      JsonObject event = message.body();
      progress.accept(event);
      mostRows[0] = Math.max(mostRows[0], event.getLong(ROWS_TOTAL, 0L));
      if (STATE_SUCCEEDED.equals(event.getString(STATE)) || STATE_FAILED.equals(event.getString(STATE))) {
        ended.tryComplete(event.copy().put(ROWS_TOTAL, mostRows[0]));
      }
    });
    return ended;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      closeAll(vertx, embedded, folder);
    }
  }

  private static void closeAll(Vertx vertx, EmbeddedDatabase embedded, DataFolder folder) {
    try {
      if (vertx != null) {
        await(vertx.close());
      }
    } catch (Exception e) {
      LOG.warn("The command's jobs did not stop cleanly: {}", e.toString());
    }
    try {
      if (embedded != null) {
        embedded.close();
      }
      if (folder != null) {
        folder.close();
      }
    } catch (Exception e) {
      LOG.warn("The embedded database did not stop cleanly: {}", e.toString());
    }
  }

  /** The future's result, waited for on this (the command's) thread. */
  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
