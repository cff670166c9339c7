package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.auth.Principal;
import io.podvault.dump.DumpFormat;
import io.podvault.contract.Addresses;
import io.podvault.contract.JobFailure;
import io.podvault.folder.BackupFolder;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/data/*}: server backup, the backup folder, the state of jobs and the restore probe (the restore upload
 * is {@link RestoreUpload}).
 */
final class DataHandlers {

  private static final Logger LOG = LoggerFactory.getLogger(DataHandlers.class);
  static final String BACKUP_FILE_NAME = "server_backup.sql";
  /** Checking the password and taking the lock can wait on a busy database, never on the dump itself. */
  private static final long START_TIMEOUT_MILLIS = 60_000;
  private static final String FIND_JOB =
    "SELECT kind, state, started_by, started_at, finished_at, progress, error FROM podvault.jobs WHERE id = $1";

  private static final String RESTORE_RUNNING =
    "SELECT EXISTS (SELECT 1 FROM podvault.jobs WHERE kind = 'restore' AND state = 'running') AS running";

  private final Vertx vertx;
  private final Pool pool;
  private final DatabasePasswords databasePasswords;
  private final BackupFolder folder;

  DataHandlers(Vertx vertx, Pool pool, DatabasePasswords databasePasswords, BackupFolder folder) {
    this.vertx = vertx;
    this.pool = pool;
    this.databasePasswords = databasePasswords;
    this.folder = folder;
  }

  /** Starts a backup into the server's backup folder: 202 with the job (PinePods calls it a task) once it runs. */
  void backupToFolder(RoutingContext ctx) {
    Principal caller = Authenticator.principal(ctx);
    vertx.eventBus().<JsonObject>request(Addresses.BACKUP_TO_FOLDER, new JsonObject().put(STARTED_BY, caller.username()),
        Addresses.here(START_TIMEOUT_MILLIS))
      .onSuccess(reply -> {
        String jobId = reply.body().getString(JOB_ID);
        Responses.json(ctx, 202, new JsonObject().put("detail", "the backup into the backup folder has started")
          .put(JOB_ID, jobId).put("task_id", jobId));
      })
      .onFailure(e -> ctx.fail(jobError(e)));
  }

  /** The backups in the backup folder, newest first, in PinePods' shape with podvault's figures beside. */
  void listBackupFiles(RoutingContext ctx) {
    vertx.executeBlocking(folder::list, false)
      .onSuccess(entries -> Responses.json(ctx, 200, new JsonObject().put("backup_files",
        new JsonArray(entries.stream().map(BackupFolder.Entry::toJson).toList()))))
      .onFailure(e -> ctx.fail(folderError(folder, e)));
  }

  void deleteBackupFile(RoutingContext ctx) {
    String name = Requests.requiredString(Requests.jsonBody(ctx), FolderRestore.BACKUP_FILENAME, 1024);
    vertx.executeBlocking(() -> {
      folder.delete(name);
      return name;
    }, false)
      .onSuccess(deleted -> Responses.json(ctx, 200, new JsonObject().put("detail", "the backup file was deleted")
        .put("filename", deleted)))
      .onFailure(e -> ctx.fail(folderError(folder, e)));
  }

  /**
   * A file of the backup folder, as it is stored (a gzip file stays one). Like a backup it needs this server's
   * database password, and it also takes a plain form post with {@code access_token}, so a browser's download
   * manager writes the file.
   */
  void downloadBackupFile(RoutingContext ctx) {
    JsonObject body = Requests.formOrJsonBody(ctx, FolderRestore.BACKUP_FILENAME, DATABASE_PASS);
    String name = Requests.requiredString(body, FolderRestore.BACKUP_FILENAME, 1024);
    databasePasswords.require(ctx, Requests.requiredString(body, DATABASE_PASS, 1024));
    vertx.executeBlocking(() -> folder.resolve(name), false)
      .onFailure(e -> ctx.fail(folderError(folder, e)))
      .onSuccess(file -> ctx.response()
        .putHeader("Content-Type", name.endsWith(".gz") ? "application/gzip" : "application/sql")
        .putHeader("Content-Disposition", attachment(name))
        .sendFile(file.toString())
        .onFailure(e -> LOG.warn("The download of backup file {} broke off: {}", name, e.getMessage())));
  }

  /** RFC 6266: a plain ASCII name for every client, and the exact one, percent-encoded, for those that read it. */
  private static String attachment(String name) {
    String ascii = name.replaceAll("[^A-Za-z0-9._-]", "_");
    String exact = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + exact;
  }

  /** A name that is not a file of the folder is 400, a file that is not there 404. */
  static ApiException folderError(BackupFolder folder, Throwable e) {
    if (e instanceof BackupFolder.BadName bad) {
      return ApiException.badRequest(bad.getMessage());
    }
    if (e instanceof NoSuchFileException missing) {
      return ApiException.notFound(missing.getMessage());
    }
    return new ApiException(500, "backup_folder_failed", "the backup folder " + folder.dir() + " could not be read or changed: "
      + e.getMessage());
  }

  /** PinePods' unauthenticated probe. */
  void restoreStatus(RoutingContext ctx) {
    pool.query(RESTORE_RUNNING).execute()
      .onSuccess(rows -> Responses.json(ctx, 200,
        new JsonObject().put("restore_in_progress", rows.iterator().next().getBoolean("running"))))
      .onFailure(ctx::fail);
  }

  void backup(RoutingContext ctx) {
    Principal caller = Authenticator.principal(ctx);
    JsonObject body = Requests.formOrJsonBody(ctx, DATABASE_PASS, FORMAT);
    String password = Requests.requiredString(body, DATABASE_PASS, 1024);
    DumpFormat format = format(body);
    // Checked here as well as by the job: a wrong one is counted before the next request is read.
    databasePasswords.require(ctx, password);
    DownloadRelay relay = new DownloadRelay(vertx, ctx.response(), BACKUP_FILE_NAME);
    JsonObject request = new JsonObject()
      .put(DATABASE_PASS, password)
      .put(FORMAT, format.wireName())
      .put(STARTED_BY, caller.username())
      .put(STREAM_ADDRESS, relay.address());
    relay.ready()
      .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.BACKUP_START, request,
        Addresses.here(START_TIMEOUT_MILLIS)))
      .onSuccess(reply -> relay.begin(reply.body().getString(JOB_ID)))
      .onFailure(e -> {
        relay.close();
        ctx.fail(jobError(e));
      });
  }

  /** The backup's file; podvault's sealed one unless the request names another. */
  private static DumpFormat format(JsonObject body) {
    String name = Requests.optionalString(body, FORMAT, 32);
    if (name == null) {
      return DumpFormat.PODVAULT;
    }
    return DumpFormat.fromWireName(name).orElseThrow(() -> ApiException.badRequest("the field '" + FORMAT
      + "' must be one of " + DumpFormat.wireNames() + " (podvault's sealed backup when left out), not '" + name + "'"));
  }

  void job(RoutingContext ctx) {
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("there is no job " + ctx.pathParam("id"));
    }
    pool.preparedQuery(FIND_JOB).execute(Tuple.of(id))
      .onSuccess(rows -> {
        if (rows.size() == 0) {
          ctx.fail(ApiException.notFound("there is no job " + id));
          return;
        }
        Row row = rows.iterator().next();
        JsonObject progress = (JsonObject) row.getValue("progress");
        JsonObject job = progress.copy()
          .put(JOB_ID, id.toString())
          .put(KIND, row.getString("kind"))
          .put(STATE, row.getString("state"))
          .put(STARTED_BY, row.getString("started_by"))
          .put(STARTED_AT, String.valueOf(row.getOffsetDateTime("started_at")))
          .put(FINISHED_AT, row.getOffsetDateTime("finished_at") == null ? null : row.getOffsetDateTime("finished_at").toString())
          .put(ERROR, row.getString("error"));
        job.remove(TYPE);
        Responses.json(ctx, 200, job);
      })
      .onFailure(ctx::fail);
  }

  /** The HTTP error for a job request the job verticle refused. */
  static ApiException jobError(Throwable e) {
    if (e instanceof ReplyException reply && reply.failureCode() >= 0) {
      JobFailure failure = JobFailure.fromWireCode(reply.failureCode());
      return new ApiException(failure.httpStatus(), failure.code(), reply.getMessage());
    }
    return new ApiException(503, "job_service_unavailable", "the job service did not answer: " + e.getMessage());
  }
}
