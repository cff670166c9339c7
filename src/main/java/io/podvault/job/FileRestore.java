package io.podvault.job;

import static io.podvault.contract.Fields.*;

import io.podvault.contract.Addresses;
import io.podvault.contract.JobFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The restore of a file already on this machine (a file of the backup folder, or one the command line names),
 * through the same job as an upload: the job starts, the file is copied into the job's own file as an upload is
 * stored (the job decompresses a gzip file, as it does an upload), the job is told how far the copy has come, and
 * its verdict on the whole file is the answer.
 */
public final class FileRestore {

  private static final long NOTICE_BYTES = 1024 * 1024;
  private static final long CHECK_TIMEOUT_MILLIS = 60 * 60 * 1000L;
  private static final long START_TIMEOUT_MILLIS = 60_000;
  private static final int COPY_BYTES = 256 * 1024;

  private FileRestore() {
  }

  /** The file holds more than the job may take. */
  public static final class TooLargeException extends IOException {
    TooLargeException(long maxBytes) {
      super("the file holds more than " + maxBytes + " bytes");
    }
  }

  /**
   * Starts the restore of {@code file}. The future succeeds with the job's verdict once the whole file has passed
   * ({@code job_id}, {@code format}) or was refused ({@code code}, {@code error}); it fails with the event bus's
   * failure when the job did not start (another job holds the lock), or with the copy's {@link IOException} (then
   * once the job has ended).
   */
  public static Future<JsonObject> start(Vertx vertx, String startedBy, Path file, String password, long maxBytes) {
    String verdictAddress = "restore.verdict." + UUID.randomUUID();
    Promise<JsonObject> verdict = Promise.promise();
    // Listening before the job starts: its verdict can never come to nobody.
    MessageConsumer<JsonObject> verdicts = vertx.eventBus().localConsumer(verdictAddress, m -> verdict.tryComplete(m.body()));
    JsonObject start = new JsonObject().put(STARTED_BY, startedBy).put(BYTES, (Long) null).put(VERDICT_ADDRESS, verdictAddress);
    return vertx.eventBus().<JsonObject>request(Addresses.RESTORE_START, start, Addresses.here(START_TIMEOUT_MILLIS))
      .onFailure(e -> verdicts.unregister())
      .compose(reply -> {
        String jobId = reply.body().getString(JOB_ID);
        Path target = Path.of(reply.body().getString(FILE));
        IOException[] copyFailed = new IOException[1];
        vertx.executeBlocking(() -> copy(vertx, jobId, file, target, password, maxBytes), false)
          .onSuccess(bytes -> tell(vertx, jobId, UPLOAD_COMPLETE, bytes, password, null))
          .onFailure(e -> {
            copyFailed[0] = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            tell(vertx, jobId, UPLOAD_CANCELLED, 0L, null, "the file could not be read: " + e.getMessage());
          });
        long timer = vertx.setTimer(CHECK_TIMEOUT_MILLIS, t -> verdict.tryComplete(new JsonObject()
          .put(CODE, JobFailure.INTERNAL.wireCode()).put(ERROR, "the restore job did not answer; see the server's log")));
        return verdict.future().compose(answer -> {
          vertx.cancelTimer(timer);
          verdicts.unregister();
          return copyFailed[0] != null && answer.getString(JOB_ID) == null
            ? Future.failedFuture(copyFailed[0])
            : Future.succeededFuture(answer);
        });
      });
  }

  /** Tells a restore job how far its file has come: stored bytes (with the password once known), complete, or cancelled. */
  public static void tell(Vertx vertx, String jobId, String state, Long bytes, String password, String reason) {
    vertx.eventBus().send(Addresses.RESTORE_UPLOAD, new JsonObject().put(JOB_ID, jobId).put(UPLOAD_STATE, state)
      .put(BYTES, bytes).put(DATABASE_PASS, password).put(REASON, reason), Addresses.here());
  }

  /**
   * Copies the file into the job's file, telling the job how much is there as it goes (the password first, so the
   * key derivation starts beside the check); returns the bytes copied.
   */
  private static long copy(Vertx vertx, String jobId, Path source, Path target, String password, long maxBytes) throws IOException {
    tell(vertx, jobId, UPLOAD_STORING, 0L, password, null);
    try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
      byte[] buffer = new byte[COPY_BYTES];
      long written = 0;
      long announced = 0;
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        written += n;
        if (written > maxBytes) {
          throw new TooLargeException(maxBytes);
        }
        out.write(buffer, 0, n);
        if (written - announced >= NOTICE_BYTES) {
          out.flush();
          announced = written;
          tell(vertx, jobId, UPLOAD_STORING, written, null, null);
        }
      }
      out.flush();
      return written;
    }
  }
}
