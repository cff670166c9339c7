package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.folder.BackupFolder;
import io.podvault.job.FileRestore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code POST /api/data/restore_backup_file}: a restore of a file of the backup folder, through the same job as an
 * upload ({@link RestoreUpload}), with the same password rules, checks, progress and sign-out. The passwords are
 * proved first, as for an upload whose password fields come before the file; then the file goes to the job as an
 * upload would ({@link FileRestore}). The job's verdict is the answer: 202 once the whole file has passed, or the refusal.
 */
final class FolderRestore {

  static final String BACKUP_FILENAME = "backup_filename";

  private final Vertx vertx;
  private final BackupFolder folder;
  private final DatabasePasswords databasePasswords;
  private final long maxBytes;

  FolderRestore(Vertx vertx, BackupFolder folder, DatabasePasswords databasePasswords, long maxBytes) {
    this.vertx = vertx;
    this.folder = folder;
    this.databasePasswords = databasePasswords;
    this.maxBytes = maxBytes;
  }

  void handle(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
    String name = Requests.requiredString(body, BACKUP_FILENAME, 1024);
    String password = Requests.optionalString(body, DATABASE_PASS, 1024);
    if (password == null || password.isEmpty()) {
      throw ApiException.badRequest(
        "the field 'database_pass' is missing: enter the database password used when the backup was made");
    }
    String serverPassword = Requests.optionalString(body, RestorePasswords.SERVER_PASSWORD_FIELD, 1024);
    databasePasswords.requireAllowed(ctx);
    RestorePasswords.given(ctx, databasePasswords, password, serverPassword).proveServerPassword();
    String startedBy = Authenticator.principal(ctx).username();
    vertx.executeBlocking(() -> folder.resolve(name), false)
      .onFailure(e -> ctx.fail(DataHandlers.folderError(folder, e)))
      .onSuccess(file -> start(ctx, startedBy, name, file, password));
  }

  private void start(RoutingContext ctx, String startedBy, String name, Path file, String password) {
    FileRestore.start(vertx, startedBy, file, password, maxBytes)
      .onFailure(e -> ctx.fail(e instanceof IOException io ? feedError(name, io) : DataHandlers.jobError(e)))
      .onSuccess(answer -> {
        if (answer.getString(JOB_ID) != null) {
          Responses.json(ctx, 202, new JsonObject().put("detail", "the restore of " + name + " has started")
            .put(JOB_ID, answer.getString(JOB_ID)).put("task_id", answer.getString(JOB_ID)).put(FORMAT, answer.getString(FORMAT)));
        } else {
          ctx.fail(RestoreUpload.refusal(answer));
        }
      });
  }

  private ApiException feedError(String name, IOException e) {
    if (e instanceof FileRestore.TooLargeException) {
      return new ApiException(413, "too_large", "the file " + name + " holds more than this server accepts (" + maxBytes
        + " bytes, set by max_upload_bytes)");
    }
    String text = String.valueOf(e.getMessage());
    if (text.contains("No space left")) {
      return new ApiException(507, "insufficient_storage",
        "the server's data folder has no space left for the restore's copy of " + name + "; free some space and try again");
    }
    return new ApiException(500, "internal_error", "the file " + name + " could not be read: " + text);
  }
}
