package io.podvault.web;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Streams the one file of a multipart upload ({@code backup_file}) to the data folder, never into memory,
 * with back-pressure from the disk to the client. Refuses more than the size limit (413) and a full disk
 * (507), and removes the partial file whatever happens: refusal, disconnect, or a response that ends
 * before a handler took the file away.
 */
final class UploadReceiver implements Handler<RoutingContext> {

  static final String STORED_FILE = "podvault.upload.file";
  static final String FIELD = "backup_file";

  private final Path uploadsDir;
  private final long maxBytes;

  UploadReceiver(Path uploadsDir, long maxBytes) {
    this.uploadsDir = uploadsDir;
    this.maxBytes = maxBytes;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19
      && Long.parseLong(length) > maxBytes) {
      throw tooLarge();
    }
    new Receipt(ctx, uploadsDir.resolve("upload-" + UUID.randomUUID() + ".part")).start();
  }

  private ApiException tooLarge() {
    return new ApiException(413, "too_large", "the file is larger than this server accepts (" + maxBytes
      + " bytes, set by max_upload_bytes)");
  }

  /** One request's upload. Runs on the request's event loop only. */
  private final class Receipt {

    private final RoutingContext ctx;
    private final Path target;
    private AsyncFile file;
    private boolean fileSeen;
    private boolean fileClosed;
    private boolean requestEnded;
    private boolean finished;
    private String refusal;
    private long written;

    Receipt(RoutingContext ctx, Path target) {
      this.ctx = ctx;
      this.target = target;
    }

    void start() {
      HttpServerRequest request = ctx.request();
      ctx.addEndHandler(v -> discard());
      ctx.response().closeHandler(v -> discard());
      request.setExpectMultipart(true);
      request.uploadHandler(this::receive);
      request.exceptionHandler(e -> fail(ApiException.badRequest("the upload broke off or is malformed: " + e.getMessage())));
      request.endHandler(v -> {
        requestEnded = true;
        complete();
      });
      request.resume();
    }

    private void receive(HttpServerFileUpload upload) {
      if (fileSeen || !FIELD.equals(upload.name())) {
        refusal = "send exactly one file, in the field '" + FIELD + "'";
        upload.handler(ignored -> { });
        return;
      }
      fileSeen = true;
      upload.pause();
      ctx.vertx().fileSystem().mkdirs(uploadsDir.toString())
        .compose(v -> ctx.vertx().fileSystem().open(target.toString(), new OpenOptions().setCreateNew(true).setWrite(true)))
        .onFailure(this::diskFailed)
        .onSuccess(opened -> {
          file = opened;
          file.exceptionHandler(this::diskFailed);
          upload.handler(chunk -> {
            written += chunk.length();
            if (written > maxBytes) {
              fail(tooLarge());
              return;
            }
            file.write(chunk).onFailure(this::diskFailed);
            if (file.writeQueueFull()) {
              upload.pause();
              file.drainHandler(v -> upload.resume());
            }
          });
          upload.exceptionHandler(e -> fail(ApiException.badRequest("the upload broke off: " + e.getMessage())));
          upload.endHandler(v -> file.close().onFailure(this::diskFailed).onSuccess(closed -> {
            fileClosed = true;
            complete();
          }));
          upload.resume();
        });
    }

    private void complete() {
      if (finished || !requestEnded || (fileSeen && !fileClosed)) {
        return;
      }
      if (!fileSeen || refusal != null) {
        fail(ApiException.badRequest(refusal != null ? refusal : "send exactly one file, in the field '" + FIELD + "'"));
        return;
      }
      finished = true;
      ctx.put(STORED_FILE, target.toString());
      ctx.next();
    }

    private void diskFailed(Throwable e) {
      String text = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
      fail(text.contains("No space left")
        ? new ApiException(507, "insufficient_storage",
          "the server's data folder has no space left for this upload; free some space and try again")
        : new ApiException(500, "internal_error", "the upload could not be stored: " + e.getMessage()));
    }

    /** Answers with the error once the partial file is gone, so nothing is left when the client hears. */
    private void fail(ApiException error) {
      if (finished) {
        return;
      }
      finished = true;
      discard().onComplete(v -> ctx.fail(error));
    }

    /** Removes the partial or unclaimed file; harmless once a handler has moved it away. */
    private Future<Void> discard() {
      Future<Void> closed = Future.succeededFuture();
      if (file != null && !fileClosed) {
        fileClosed = true;
        closed = file.close().recover(e -> Future.succeededFuture());
      }
      // Fails when the file was already moved to the job, or never created: nothing to remove then.
      return closed.compose(v -> ctx.vertx().fileSystem().delete(target.toString())).recover(e -> Future.succeededFuture());
    }
  }
}
