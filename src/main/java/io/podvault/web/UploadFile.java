package io.podvault.web;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayDeque;

/**
 * Writes an upload's file part into the file its restore job gave, in large writes, with back-pressure from
 * the disk to the client, and tells how much of it is stored: a length before which every byte is written.
 * Runs on the request's event loop only.
 */
final class UploadFile {

  private static final int WRITE_QUEUE_BYTES = 8 * 1024 * 1024;
  /** Large writes, yet under half a heap region: a bigger buffer would be a humongous object for G1. */
  private static final int WRITE_BYTES = 256 * 1024;

  /** A write to the file, and where the upload ends once it is done. */
  private static final class Write {

    private final long end;
    private boolean done;

    Write(long end) {
      this.end = end;
    }
  }

  private final AsyncFile file;
  private final HttpServerRequest request;
  private final Handler<Long> stored;
  private final Handler<Throwable> failed;
  private final ArrayDeque<Write> inFlight = new ArrayDeque<>();
  private Buffer batch = Buffer.buffer(WRITE_BYTES + 64 * 1024);
  private long received;
  private long storedBytes;
  private boolean closed;

  /**
   * @param stored told the stored length each time it advances
   * @param failed told when a write fails
   */
  UploadFile(AsyncFile file, HttpServerRequest request, Handler<Long> stored, Handler<Throwable> failed) {
    this.file = file;
    this.request = request;
    this.stored = stored;
    this.failed = failed;
    // The default queue of 128 KiB pauses a fast client every few chunks; this keeps the disk busy.
    file.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
    file.exceptionHandler(failed);
  }

  /** Bytes of the file part received so far. */
  long received() {
    return received;
  }

  /** Whether every byte received is on disk. */
  boolean allStored() {
    return storedBytes == received;
  }

  /** Collects bytes into larger writes: one per network chunk would cost a disk task each. */
  void write(Buffer bytes) {
    received += bytes.length();
    batch.appendBuffer(bytes);
    if (batch.length() >= WRITE_BYTES) {
      flush();
    }
  }

  /** Writes what is collected, at the end of the file part. */
  void flush() {
    if (batch.length() == 0) {
      return;
    }
    Write write = new Write(received);
    inFlight.add(write);
    file.write(batch).onSuccess(v -> written(write)).onFailure(failed);
    batch = Buffer.buffer(WRITE_BYTES + 64 * 1024);
    if (file.writeQueueFull()) {
      request.pause();
      file.drainHandler(v -> request.resume());
    }
  }

  /**
   * Writes may complete out of order (the file channel is asynchronous): the stored length advances only over
   * writes whose predecessors are all done, so the job never reads a hole.
   */
  private void written(Write write) {
    write.done = true;
    while (!inFlight.isEmpty() && inFlight.peek().done) {
      storedBytes = inFlight.poll().end;
    }
    stored.handle(storedBytes);
  }

  void close() {
    if (!closed) {
      closed = true;
      file.close();
    }
  }
}
