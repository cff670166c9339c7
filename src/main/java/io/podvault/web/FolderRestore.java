package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.contract.Addresses;
import io.podvault.contract.JobFailure;
import io.podvault.folder.BackupFolder;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * {@code POST /api/data/restore_backup_file}: a restore of a file of the backup folder, through the same job as an
 * upload ({@link RestoreUpload}), with the same password rules, checks, progress and sign-out. The passwords are
 * proved first, as for an upload whose password fields come before the file; then the job starts and the file is
 * fed to it as an upload would be (the job decompresses a gzip file, recognised by its first bytes, as it does an
 * upload). The job's verdict is the answer: 202 once the whole file has passed, or the refusal.
 */
final class FolderRestore {

  static final String BACKUP_FILENAME = "backup_filename";
  private static final long NOTICE_BYTES = 1024 * 1024;
  private static final long CHECK_TIMEOUT_MILLIS = 60 * 60 * 1000L;
  private static final long START_TIMEOUT_MILLIS = 60_000;
  private static final int COPY_BYTES = 256 * 1024;

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
    String verdictAddress = "restore.verdict." + UUID.randomUUID();
    Promise<JsonObject> verdict = Promise.promise();
    // Listening before the job starts: its verdict can never come to nobody.
    MessageConsumer<JsonObject> verdicts = vertx.eventBus().localConsumer(verdictAddress, m -> verdict.tryComplete(m.body()));
    JsonObject start = new JsonObject().put(STARTED_BY, startedBy).put(BYTES, (Long) null).put(VERDICT_ADDRESS, verdictAddress);
    vertx.eventBus().<JsonObject>request(Addresses.RESTORE_START, start, new DeliveryOptions().setSendTimeout(START_TIMEOUT_MILLIS))
      .onFailure(e -> {
        verdicts.unregister();
        ctx.fail(DataHandlers.jobError(e));
      })
      .onSuccess(reply -> {
        String jobId = reply.body().getString(JOB_ID);
        Path target = Path.of(reply.body().getString(FILE));
        ApiException[] stopped = new ApiException[1];
        vertx.executeBlocking(() -> feed(jobId, file, target, password), false)
          .onSuccess(bytes -> tell(jobId, UPLOAD_COMPLETE, bytes, password, null))
          .onFailure(e -> {
            stopped[0] = feedError(name, e);
            tell(jobId, UPLOAD_CANCELLED, 0, null, stopped[0].getMessage());
          });
        long timer = vertx.setTimer(CHECK_TIMEOUT_MILLIS, t -> verdict.tryComplete(new JsonObject()
          .put(CODE, JobFailure.INTERNAL.wireCode()).put(ERROR, "the restore job did not answer; see the server's log")));
        verdict.future().onSuccess(answer -> {
          vertx.cancelTimer(timer);
          verdicts.unregister();
          if (answer.getString(JOB_ID) != null) {
            Responses.json(ctx, 202, new JsonObject().put("detail", "the restore of " + name + " has started")
              .put(JOB_ID, answer.getString(JOB_ID)).put("task_id", answer.getString(JOB_ID)).put(FORMAT, answer.getString(FORMAT)));
          } else if (stopped[0] != null) {
            ctx.fail(stopped[0]);
          } else {
            ctx.fail(RestoreUpload.refusal(answer));
          }
        });
      });
  }

  /**
   * Copies the file into the job's file as it is (the job decompresses a gzip file, as it does an upload), telling the
   * job how much is there as it goes (the password first, so the key derivation starts beside the check); returns
   * the bytes written.
   */
  private long feed(String jobId, Path source, Path target, String password) throws IOException {
    tell(jobId, UPLOAD_STORING, 0, password, null);
    try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
      byte[] buffer = new byte[COPY_BYTES];
      long written = 0;
      long announced = 0;
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        written += n;
        if (written > maxBytes) {
          throw new TooLarge();
        }
        out.write(buffer, 0, n);
        if (written - announced >= NOTICE_BYTES) {
          out.flush();
          announced = written;
          tell(jobId, UPLOAD_STORING, written, null, null);
        }
      }
      out.flush();
      return written;
    }
  }

  private void tell(String jobId, String state, long bytes, String password, String reason) {
    RestoreUpload.tell(vertx, jobId, state, bytes, password, reason);
  }

  private ApiException feedError(String name, Throwable e) {
    if (e instanceof TooLarge) {
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

  /** More bytes than {@code max_upload_bytes}. */
  private static final class TooLarge extends IOException {
    TooLarge() {
      super("too large");
    }
  }
}
