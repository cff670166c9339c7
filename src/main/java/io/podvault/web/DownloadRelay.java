package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.contract.JobFailure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import java.util.UUID;

/**
 * The web end of a job's download stream: takes chunks from the event bus, writes them to the HTTP
 * response and acknowledges each one once it is written to the connection, which is the back-pressure the
 * job waits on, and tells the job that it may fill the chunk's bytes again. A failed job resets the
 * connection, so the client never mistakes a cut file for a whole one; a client that goes away fails the
 * chunks not yet written, which stops the job.
 */
final class DownloadRelay {

  private final HttpServerResponse response;
  private final String fileName;
  private final MessageConsumer<Buffer> consumer;
  private boolean clientGone;

  DownloadRelay(Vertx vertx, HttpServerResponse response, String fileName) {
    this.response = response;
    this.fileName = fileName;
    this.consumer = vertx.eventBus().localConsumer("jobs.stream." + UUID.randomUUID(), this::handle);
    response.closeHandler(v -> clientGone = true);
  }

  String address() {
    return consumer.address();
  }

  /** Completes once the event bus delivers to this relay. */
  Future<Void> ready() {
    return consumer.completion();
  }

  /** Sends the download's headers, once. */
  void begin(String jobId) {
    if (!response.headWritten()) {
      response.setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "application/sql; charset=utf-8")
        .putHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Podvault-Job", jobId);
    }
  }

  void close() {
    consumer.unregister();
  }

  private void handle(Message<Buffer> message) {
    String part = message.headers().get(STREAM_PART);
    if (clientGone) {
      message.fail(JobFailure.CLIENT_GONE.wireCode(), "the client closed the connection");
      close();
      return;
    }
    begin(message.headers().get(JOB_ID));
    switch (part) {
      case PART_DATA -> response.write(message.body()).onComplete(written -> {
        if (written.succeeded()) {
          message.reply(null);
        } else {
          message.fail(JobFailure.CLIENT_GONE.wireCode(), "the client closed the connection");
        }
      });
      case PART_END -> {
        response.end();
        message.reply(null);
        close();
      }
      default -> {
        response.reset();
        close();
      }
    }
  }
}
