package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.contract.Addresses;
import io.podvault.contract.JobFailure;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code POST /api/data/restore_server}: the restore job begins with the upload (so a running job is
 * refused with 409 before a byte is sent), the multipart body is parsed as it streams and the file part
 * written to the file the job gave, with back-pressure from the disk to the client. The job checks the file
 * as it arrives, told how far it is stored; the answer is 202 once the whole file has passed, or the
 * refusal, sent as soon as it is known. Too large (413), a full disk (507), a malformed body or a client
 * that leaves all cancel the job, which deletes the file before the answer goes out.
 *
 * <p>Every restore proves knowledge of this server's database password, a second factor against a stolen
 * administrator token: {@code database_pass} (which must open the backup's seal) when it is this server's,
 * else {@code server_database_pass}. Password fields sent before the file are checked before the file is
 * read; otherwise at the end of the body.
 */
final class RestoreUpload {

  static final String FILE_FIELD = "backup_file";
  static final String SERVER_PASSWORD_FIELD = "server_database_pass";
  private static final int MAX_PASSWORD_CHARS = 1024;
  /** The job hears how much is stored every this many bytes: often enough to keep it busy, rarely enough to cost nothing. */
  private static final long NOTICE_BYTES = 1024 * 1024;
  private static final int WRITE_QUEUE_BYTES = 8 * 1024 * 1024;
  /** Large writes, yet under half a heap region: a bigger buffer would be a humongous object for G1. */
  private static final int WRITE_BYTES = 256 * 1024;
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
    String notify = "restore.upload." + UUID.randomUUID();
    JsonObject begin = new JsonObject()
      .put(STARTED_BY, Authenticator.principal(ctx).username())
      .put(BYTES, length)
      .put(NOTIFY_ADDRESS, notify);
    vertx.eventBus().<JsonObject>request(Addresses.RESTORE_START, begin, new DeliveryOptions().setSendTimeout(START_TIMEOUT_MILLIS))
      .onFailure(e -> ctx.fail(DataHandlers.jobError(e)))
      .onSuccess(reply -> new Receipt(ctx, boundary, reply.body().getString(JOB_ID), reply.body().getString(FILE), notify).start());
  }

  private ApiException tooLarge() {
    return new ApiException(413, "too_large", "the file is larger than this server accepts (" + maxBytes
      + " bytes, set by max_upload_bytes)");
  }

  /** One request's upload; runs on the request's event loop only. */
  private final class Receipt implements MultipartParser.Parts {

    private enum Part { FILE, PASSWORD, SERVER_PASSWORD, IGNORED }

    /** A write to the file, and where the upload ends once it is done. */
    private static final class Write {

      private final long end;
      private boolean done;

      Write(long end) {
        this.end = end;
      }
    }

    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final MultipartParser parser;
    private final String jobId;
    private final String path;
    private final String notifyAddress;
    private MessageConsumer<JsonObject> refusals;
    private AsyncFile file;
    private Part part;
    private boolean fileSeen;
    private Buffer passwordBytes;
    private String password;
    private Buffer serverPasswordBytes;
    private String serverPassword;
    /** Set once this server's database password has been proved. */
    private boolean serverPasswordProved;
    private long received;
    private final ArrayDeque<Write> inFlight = new ArrayDeque<>();
    private Buffer batch = Buffer.buffer(WRITE_BYTES + 64 * 1024);
    private long stored;
    private long announced;
    private boolean requestEnded;
    private boolean finished;

    Receipt(RoutingContext ctx, String boundary, String jobId, String path, String notifyAddress) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.parser = new MultipartParser(boundary, this);
      this.jobId = jobId;
      this.path = path;
      this.notifyAddress = notifyAddress;
    }

    void start() {
      refusals = vertx.eventBus().consumer(notifyAddress, message -> refused(
        JobFailure.fromWireCode(message.body().getInteger(CODE)), message.body().getString(ERROR)));
      ctx.response().closeHandler(v -> fail(clientGone()));
      if (ctx.response().closed()) {
        // Gone while the job was starting: the close handler came too late to hear it.
        fail(clientGone());
        return;
      }
      vertx.fileSystem().open(path, new OpenOptions().setWrite(true).setCreate(false))
        .onFailure(this::diskFailed)
        .onSuccess(opened -> {
          file = opened;
          if (finished) {
            file.close();
            return;
          }
          // The default queue of 128 KiB pauses a fast client every few chunks; this keeps the disk busy.
          file.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
          file.exceptionHandler(this::diskFailed);
          request.handler(this::received);
          request.exceptionHandler(e -> fail(ApiException.badRequest("the upload broke off: " + e.getMessage())));
          request.endHandler(v -> {
            requestEnded = true;
            guard(parser::end);
            complete();
          });
          request.resume();
        });
    }

    private ApiException clientGone() {
      return new ApiException(499, "client_gone", "the client left before the upload was complete");
    }

    private void received(Buffer chunk) {
      guard(() -> parser.feed(chunk));
    }

    /** Runs a step of the parse; a refusal it raises ends the upload. */
    private void guard(Runnable step) {
      if (finished) {
        return;
      }
      try {
        step.run();
      } catch (ApiException e) {
        fail(e);
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
        if (password != null && !password.isEmpty()) {
          // The password fields came first, as the Settings page sends them: none follows the file.
          proveServerPassword();
        }
      } else if (DATABASE_PASS.equals(name)) {
        if (passwordBytes != null) {
          throw ApiException.badRequest("send the field 'database_pass' once");
        }
        passwordBytes = Buffer.buffer();
        part = Part.PASSWORD;
      } else if (SERVER_PASSWORD_FIELD.equals(name)) {
        if (serverPasswordBytes != null) {
          throw ApiException.badRequest("send the field '" + SERVER_PASSWORD_FIELD + "' once");
        }
        serverPasswordBytes = Buffer.buffer();
        part = Part.SERVER_PASSWORD;
      } else {
        part = Part.IGNORED;
      }
    }

    @Override
    public void data(Buffer bytes) {
      switch (part) {
        case FILE -> write(bytes);
        case PASSWORD -> append(passwordBytes, bytes, DATABASE_PASS);
        case SERVER_PASSWORD -> append(serverPasswordBytes, bytes, SERVER_PASSWORD_FIELD);
        case IGNORED -> { }
      }
    }

    @Override
    public void end() {
      if (part == Part.FILE) {
        flush();
      }
      if (part == Part.SERVER_PASSWORD) {
        serverPassword = text(serverPasswordBytes, SERVER_PASSWORD_FIELD);
      }
      if (part == Part.PASSWORD) {
        password = text(passwordBytes, DATABASE_PASS);
        if (!password.isEmpty()) {
          // Known before the file is complete: the slow key derivation can start beside the check.
          vertx.eventBus().send(Addresses.RESTORE_STORED, new JsonObject().put(JOB_ID, jobId).put(BYTES, stored)
            .put(DATABASE_PASS, password));
        }
      }
      part = null;
    }

    private void append(Buffer field, Buffer bytes, String name) {
      if (field.length() + bytes.length() > MAX_PASSWORD_CHARS * 4) {
        throw tooLongPassword(name);
      }
      field.appendBuffer(bytes);
    }

    private String text(Buffer field, String name) {
      String text = field.toString(StandardCharsets.UTF_8);
      if (text.length() > MAX_PASSWORD_CHARS) {
        throw tooLongPassword(name);
      }
      return text;
    }

    private ApiException tooLongPassword(String name) {
      return ApiException.badRequest("the field '" + name + "' is longer than " + MAX_PASSWORD_CHARS + " characters");
    }

    /**
     * Refuses the restore unless the request proves this server's database password: {@code database_pass} when
     * it is this server's (it must also open the seal, which the job checks), else {@code server_database_pass}.
     * A failed proof counts against the caller like a wrong password for a backup.
     */
    private void proveServerPassword() {
      if (serverPasswordProved || databasePasswords.isThisServers(password)) {
        serverPasswordProved = true;
        return;
      }
      if (serverPassword == null || serverPassword.isEmpty()) {
        databasePasswords.record(ctx);
        throw new ApiException(JobFailure.SERVER_PASSWORD_REQUIRED.httpStatus(), JobFailure.SERVER_PASSWORD_REQUIRED.code(),
          "the password entered is not this server's database password; if the backup comes from another server, also "
            + "enter this server's database password (field '" + SERVER_PASSWORD_FIELD + "'), otherwise check the password");
      }
      if (!databasePasswords.matches(ctx, serverPassword)) {
        throw new ApiException(JobFailure.WRONG_DATABASE_PASSWORD.httpStatus(), JobFailure.WRONG_DATABASE_PASSWORD.code(),
          "the field '" + SERVER_PASSWORD_FIELD + "' is not this server's database password");
      }
      serverPasswordProved = true;
    }

    /** Collects the file's bytes into larger writes: one per network chunk would cost a disk task each. */
    private void write(Buffer bytes) {
      received += bytes.length();
      if (received > maxBytes) {
        throw tooLarge();
      }
      batch.appendBuffer(bytes);
      if (batch.length() >= WRITE_BYTES) {
        flush();
      }
    }

    private void flush() {
      if (batch.length() == 0) {
        return;
      }
      Write write = new Write(received);
      inFlight.add(write);
      file.write(batch).onSuccess(v -> written(write)).onFailure(this::diskFailed);
      batch = Buffer.buffer(WRITE_BYTES + 64 * 1024);
      if (file.writeQueueFull()) {
        request.pause();
        file.drainHandler(v -> request.resume());
      }
    }

    /**
     * Writes may complete out of order (the file channel is asynchronous): the stored length advances only
     * over writes whose predecessors are all done, so the job never reads a hole.
     */
    private void written(Write write) {
      write.done = true;
      while (!inFlight.isEmpty() && inFlight.peek().done) {
        stored = inFlight.poll().end;
      }
      if (stored - announced >= NOTICE_BYTES) {
        announced = stored;
        vertx.eventBus().send(Addresses.RESTORE_STORED, new JsonObject().put(JOB_ID, jobId).put(BYTES, stored));
      }
      complete();
    }

    /** Once the request has ended and every byte is on disk: hands the upload over and waits for the verdict. */
    private void complete() {
      if (finished || !requestEnded || stored < received) {
        return;
      }
      if (!fileSeen) {
        fail(ApiException.badRequest("send exactly one file, in the field '" + FILE_FIELD + "'"));
        return;
      }
      if (password == null || password.isEmpty()) {
        fail(ApiException.badRequest(
          "the field 'database_pass' is missing: enter the database password used when the backup was made"));
        return;
      }
      try {
        proveServerPassword();
      } catch (ApiException refused) {
        fail(refused);
        return;
      }
      finished = true;
      JsonObject uploaded = new JsonObject().put(JOB_ID, jobId).put(BYTES, stored).put(DATABASE_PASS, password);
      file.close()
        .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.RESTORE_UPLOADED, uploaded,
          new DeliveryOptions().setSendTimeout(CHECK_TIMEOUT_MILLIS)))
        .onComplete(verdict -> {
          refusals.unregister();
          if (verdict.succeeded()) {
            Responses.json(ctx, 202, new JsonObject().put(JOB_ID, jobId).put(FORMAT, verdict.result().body().getString(FORMAT)));
          } else {
            ctx.fail(DataHandlers.jobError(verdict.cause()));
          }
        });
    }

    /**
     * The job refused the file while it still arrived: answer now (the rest of the body is read and dropped)
     * and tell the job the upload is over.
     */
    private void refused(JobFailure failure, String message) {
      if (finished) {
        return;
      }
      finished = true;
      refusals.unregister();
      closeFile();
      vertx.eventBus().send(Addresses.RESTORE_CANCEL, new JsonObject().put(JOB_ID, jobId).put(REASON, message));
      ctx.fail(new ApiException(failure.httpStatus(), failure.code(), message));
    }

    private void diskFailed(Throwable e) {
      String text = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
      fail(text.contains("No space left")
        ? new ApiException(507, "insufficient_storage",
          "the server's data folder has no space left for this upload; free some space and try again")
        : new ApiException(500, "internal_error", "the upload could not be stored: " + e.getMessage()));
    }

    /** Ends the job (which deletes the file), then answers, so nothing is left when the client hears. */
    private void fail(ApiException error) {
      if (finished) {
        return;
      }
      finished = true;
      refusals.unregister();
      closeFile();
      JsonObject cancel = new JsonObject().put(JOB_ID, jobId).put(REASON, error.getMessage());
      vertx.eventBus().request(Addresses.RESTORE_CANCEL, cancel, new DeliveryOptions().setSendTimeout(START_TIMEOUT_MILLIS))
        .onComplete(v -> ctx.fail(error));
    }

    private void closeFile() {
      if (file != null) {
        file.close();
      }
    }
  }
}
