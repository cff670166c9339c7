package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.contract.Addresses;
import io.podvault.contract.JobFailure;
import io.podvault.job.FileRestore;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code POST /api/data/restore_server}, the web side of one pipeline. The restore job begins with the upload
 * (so a running job is refused with 409 before a byte is sent) and owns the file it gives; here the multipart
 * body is parsed as it streams and the file part written into that file ({@link UploadFile}). Every step of
 * the upload goes to the job on {@link Addresses#RESTORE_UPLOAD}: stored bytes (the job checks and loads them
 * as they come), then complete or cancelled. The job's one verdict is the answer: 202 once the whole file has
 * passed, or the refusal as soon as it is known. Too large (413), a full disk (507), a malformed body or a
 * client that leaves all cancel the job; its verdict comes once it has ended and deleted the file, so nothing
 * is left when the client hears.
 *
 * <p>Every restore proves knowledge of this server's database password ({@link RestorePasswords}).
 */
final class RestoreUpload {

  static final String FILE_FIELD = "backup_file";
  /** The job hears how much is stored every this many bytes: often enough to keep it busy, rarely enough to cost nothing. */
  private static final long NOTICE_BYTES = 1024 * 1024;
  private static final long CHECK_TIMEOUT_MILLIS = 60 * 60 * 1000L;
  private static final long START_TIMEOUT_MILLIS = 60_000;

  private final Vertx vertx;
  private final long maxBytes;
  private final DatabasePasswords databasePasswords;

  RestoreUpload(Vertx vertx, long maxBytes, DatabasePasswords databasePasswords) {
    this.vertx = vertx;
    this.maxBytes = maxBytes;
    this.databasePasswords = databasePasswords;
  }

  void handle(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      throw new ApiException(415, "unsupported_media_type",
        "send the backup as multipart/form-data with the fields backup_file and database_pass");
    }
    String boundary = MultipartParser.boundary(contentType);
    if (boundary == null) {
      throw ApiException.badRequest("the multipart upload names no boundary in its Content-Type");
    }
    String header = ctx.request().getHeader("Content-Length");
    Long length = header != null && header.chars().allMatch(Character::isDigit) && header.length() < 19
      ? Long.valueOf(header) : null;
    if (length != null && length > maxBytes) {
      throw tooLarge();
    }
    databasePasswords.requireAllowed(ctx);
    new Receipt(ctx, boundary).begin(length);
  }

  /** The HTTP error for a restore job's refusal of its file. */
  static ApiException refusal(JsonObject verdict) {
    JobFailure failure = JobFailure.fromWireCode(verdict.getInteger(CODE));
    return new ApiException(failure.httpStatus(), failure.code(), verdict.getString(ERROR));
  }

  private ApiException tooLarge() {
    return new ApiException(413, "too_large", "the file is larger than this server accepts (" + maxBytes
      + " bytes, set by max_upload_bytes)");
  }

  /**
   * One request's upload; runs on the request's event loop only. It goes through its stages in order: the job
   * starts, the body is received into the job's file, the upload is handed over complete or cancelled, and
   * the job's verdict is the answer.
   */
  private final class Receipt implements MultipartParser.Parts {

    private enum Part { FILE, PASSWORD, SERVER_PASSWORD, IGNORED }

    private enum Stage { STARTING, RECEIVING, COMPLETE, CANCELLED, ANSWERED }

    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final MultipartParser parser;
    private final RestorePasswords passwords;
    private final String verdictAddress = "restore.verdict." + UUID.randomUUID();
    private final MessageConsumer<JsonObject> verdicts;
    private Stage stage = Stage.STARTING;
    private String jobId;
    private UploadFile upload;
    private Part part;
    private boolean fileSeen;
    private boolean requestEnded;
    private long announced;
    /** Why this side gave the upload up; the answer once the job has ended. */
    private ApiException cancelledFor;

    Receipt(RoutingContext ctx, String boundary) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.parser = new MultipartParser(boundary, this);
      this.passwords = new RestorePasswords(ctx, databasePasswords);
      // Listening before the job starts: its verdict can never come to nobody.
      this.verdicts = vertx.eventBus().localConsumer(verdictAddress, message -> verdict(message.body()));
    }

    /** Starts the job; the upload begins once it has (a running job is refused with 409 before a byte is read). */
    void begin(Long length) {
      JsonObject start = new JsonObject()
        .put(STARTED_BY, Authenticator.principal(ctx).username())
        .put(BYTES, length)
        .put(VERDICT_ADDRESS, verdictAddress);
      ctx.response().closeHandler(v -> cancel(clientGone()));
      vertx.eventBus().<JsonObject>request(Addresses.RESTORE_START, start, Addresses.here(START_TIMEOUT_MILLIS))
        .onFailure(e -> {
          stage = Stage.ANSWERED;
          verdicts.unregister();
          ctx.fail(DataHandlers.jobError(e));
        })
        .onSuccess(reply -> started(reply.body().getString(JOB_ID), reply.body().getString(FILE)));
    }

    private void started(String id, String path) {
      jobId = id;
      if (stage == Stage.CANCELLED) {
        // Given up while the job was starting: it ends at once.
        endJob();
        return;
      }
      if (ctx.response().closed()) {
        cancel(clientGone());
        return;
      }
      stage = Stage.RECEIVING;
      vertx.fileSystem().open(path, new OpenOptions().setWrite(true).setCreate(false))
        .onFailure(this::diskFailed)
        .onSuccess(opened -> {
          upload = new UploadFile(opened, request, this::stored, this::diskFailed);
          if (stage != Stage.RECEIVING) {
            upload.close();
            return;
          }
          request.handler(chunk -> guard(() -> parser.feed(chunk)));
          request.exceptionHandler(e -> cancel(ApiException.badRequest("the upload broke off: " + e.getMessage())));
          request.endHandler(v -> {
            requestEnded = true;
            guard(parser::end);
            complete();
          });
          if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            // Asked only now, when the job has its lock: a client that waits for this (curl does, up to a
            // second) hears a refusal such as 409 before it sends the body, and otherwise waits no longer.
            ctx.response().writeContinue();
          }
          request.resume();
        });
    }

    private ApiException clientGone() {
      return new ApiException(499, "client_gone", "the client left before the upload was complete");
    }

    /** Runs a step of the parse; a refusal it raises gives the upload up. */
    private void guard(Runnable step) {
      if (stage != Stage.RECEIVING) {
        return;
      }
      try {
        step.run();
      } catch (ApiException e) {
        cancel(e);
      }
    }

    @Override
    public void begin(String name, boolean isFile) {
      if (isFile) {
        if (!FILE_FIELD.equals(name) || fileSeen) {
          throw ApiException.badRequest("send exactly one file, in the field '" + FILE_FIELD + "'");
        }
        fileSeen = true;
        part = Part.FILE;
        if (passwords.hasPassword()) {
          // The password fields came first, as the Settings page sends them: none follows the file.
          passwords.proveServerPassword();
        }
      } else if (DATABASE_PASS.equals(name)) {
        passwords.beginPassword();
        part = Part.PASSWORD;
      } else if (RestorePasswords.SERVER_PASSWORD_FIELD.equals(name)) {
        passwords.beginServerPassword();
        part = Part.SERVER_PASSWORD;
      } else {
        part = Part.IGNORED;
      }
    }

    @Override
    public void data(Buffer bytes) {
      switch (part) {
        case FILE -> {
          if (upload.received() + bytes.length() > maxBytes) {
            throw tooLarge();
          }
          upload.write(bytes);
        }
        case PASSWORD -> passwords.appendPassword(bytes);
        case SERVER_PASSWORD -> passwords.appendServerPassword(bytes);
        case IGNORED -> { }
      }
    }

    @Override
    public void end() {
      switch (part) {
        case FILE -> upload.flush();
        case SERVER_PASSWORD -> passwords.endServerPassword();
        case PASSWORD -> {
          passwords.endPassword();
          if (passwords.hasPassword()) {
            // Known before the file is complete: the slow key derivation can start beside the check.
            tell(UPLOAD_STORING, announced, passwords.password());
          }
        }
        case IGNORED -> { }
      }
      part = null;
    }

    /** More of the file is on disk: the job hears of it every {@value #NOTICE_BYTES} bytes, and at the end. */
    private void stored(long bytes) {
      if (stage == Stage.RECEIVING && bytes - announced >= NOTICE_BYTES) {
        announced = bytes;
        tell(UPLOAD_STORING, bytes, null);
      }
      complete();
    }

    /** Once the request has ended and every byte is on disk: hands the upload over whole, and waits for the verdict. */
    private void complete() {
      if (stage != Stage.RECEIVING || !requestEnded || !upload.allStored()) {
        return;
      }
      if (!fileSeen) {
        cancel(ApiException.badRequest("send exactly one file, in the field '" + FILE_FIELD + "'"));
        return;
      }
      if (!passwords.hasPassword()) {
        cancel(ApiException.badRequest(
          "the field 'database_pass' is missing: enter the database password used when the backup was made"));
        return;
      }
      try {
        passwords.proveServerPassword();
      } catch (ApiException refused) {
        cancel(refused);
        return;
      }
      stage = Stage.COMPLETE;
      upload.close();
      tell(UPLOAD_COMPLETE, upload.received(), passwords.password());
      awaitVerdict(CHECK_TIMEOUT_MILLIS);
    }

    /** Gives the upload up: the job ends (which deletes the file), and its verdict brings the answer. */
    private void cancel(ApiException why) {
      if (stage == Stage.COMPLETE || stage == Stage.CANCELLED || stage == Stage.ANSWERED) {
        return;
      }
      stage = Stage.CANCELLED;
      cancelledFor = why;
      if (upload != null) {
        upload.close();
      }
      if (jobId != null) {
        endJob();
      }
      // else the job's start is still being answered: started() ends it
    }

    private void endJob() {
      FileRestore.tell(vertx, jobId, UPLOAD_CANCELLED, null, null, cancelledFor.getMessage());
      awaitVerdict(START_TIMEOUT_MILLIS);
    }

    private void tell(String state, long bytes, String password) {
      FileRestore.tell(vertx, jobId, state, bytes, password, null);
    }

    /** The job's verdict: 202 for a file that passed whole, else the refusal, or this side's own reason to stop. */
    private void verdict(JsonObject verdict) {
      if (stage == Stage.ANSWERED) {
        return;
      }
      Stage was = stage;
      stage = Stage.ANSWERED;
      verdicts.unregister();
      if (upload != null) {
        upload.close();
      }
      if (verdict.getString(JOB_ID) != null) {
        Responses.json(ctx, 202, new JsonObject().put(JOB_ID, verdict.getString(JOB_ID)).put(FORMAT, verdict.getString(FORMAT)));
      } else if (was == Stage.CANCELLED) {
        ctx.fail(cancelledFor);
      } else {
        // Refused while the body still arrives: the answer goes now, and the rest of the body is dropped.
        ctx.fail(refusal(verdict));
      }
    }

    /** A job always sends its verdict; should none come, the request still gets an answer. */
    private void awaitVerdict(long timeoutMillis) {
      vertx.setTimer(timeoutMillis, t -> {
        if (stage != Stage.ANSWERED) {
          verdict(new JsonObject().put(CODE, JobFailure.INTERNAL.wireCode())
            .put(ERROR, "the restore job did not answer; see the server's log"));
        }
      });
    }

    private void diskFailed(Throwable e) {
      String text = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
      cancel(text.contains("No space left")
        ? new ApiException(507, "insufficient_storage",
          "the server's data folder has no space left for this upload; free some space and try again")
        : new ApiException(500, "internal_error", "the upload could not be stored: " + e.getMessage()));
    }
  }
}
