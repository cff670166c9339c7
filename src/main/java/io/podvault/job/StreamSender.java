package io.podvault.job;

import io.netty.buffer.Unpooled;
import io.podvault.contract.Addresses;
import io.podvault.contract.Fields;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * An output stream that ships a job's bytes to the web verticle over the event bus, in chunks, with
 * back-pressure: at most {@value #WINDOW} chunks are unacknowledged, and the web side acknowledges a chunk
 * only once it is written to the HTTP connection. A slow client therefore slows the job, never fills memory.
 * A chunk's bytes are handed over as they are, not copied, and an acknowledged chunk is filled again: the
 * stream allocates its {@value #WINDOW} chunks and one more, however long it is.
 * Blocking; used from a job thread, never from an event loop.
 */
public final class StreamSender extends OutputStream {

  static final int CHUNK_BYTES = 256 * 1024;
  private static final int WINDOW = 8;

  private final Vertx vertx;
  private final String address;
  private final String jobId;
  private final Semaphore credits = new Semaphore(WINDOW);
  /** Chunks the web side has written and given back, ready to be filled again. */
  private final Queue<byte[]> written = new ConcurrentLinkedQueue<>();
  private byte[] chunk = new byte[CHUNK_BYTES];
  private int filled;
  private volatile Throwable failure;
  /** A client that takes nothing for this long has gone; the job then stops. */
  private final long stallMillis;

  public StreamSender(Vertx vertx, String address, String jobId, long stallMillis) {
    this.vertx = vertx;
    this.address = address;
    this.jobId = jobId;
    this.stallMillis = stallMillis;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    while (length > 0) {
      int n = Math.min(length, CHUNK_BYTES - filled);
      System.arraycopy(bytes, offset, chunk, filled, n);
      filled += n;
      offset += n;
      length -= n;
      if (filled == CHUNK_BYTES) {
        ship();
      }
    }
  }

  @Override
  public void flush() throws IOException {
    if (filled > 0) {
      ship();
    }
  }

  /** Sends what is left and waits until the HTTP response has taken every byte. */
  public void drain() throws IOException {
    flush();
    awaitAllCredits();
  }

  /** Ends the response, once everything is drained. */
  public void end() throws IOException {
    awaitCredits();
    send(Fields.PART_END, Buffer.buffer());
    awaitAllCredits();
  }

  /** Tells the web side to abort the response, so the client sees a failed download, not a short file. */
  public void abort(String reason) {
    vertx.eventBus().send(address, Buffer.buffer(reason), options(Fields.PART_FAIL));
  }

  private void ship() throws IOException {
    awaitCredits();
    byte[] full = chunk;
    send(Fields.PART_DATA, BufferInternal.buffer(Unpooled.wrappedBuffer(full, 0, filled)), full);
    byte[] free = written.poll();
    chunk = free != null ? free : new byte[CHUNK_BYTES];
    filled = 0;
  }

  private void send(String part, Buffer body) {
    send(part, body, null);
  }

  /** {@code bytes}, the chunk's array if it is one, is filled again once the chunk is written; a failed one is left alone. */
  private void send(String part, Buffer body, byte[] bytes) {
    vertx.eventBus().request(address, body, options(part)).onComplete(ar -> {
      if (ar.failed() && failure == null) {
        failure = ar.cause() instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT
          ? new IOException(stalled())
          : ar.cause();
      }
      if (ar.succeeded() && bytes != null) {
        written.add(bytes);
      }
      credits.release();
    });
  }

  /** Takes one credit for the next message: waits while {@value #WINDOW} chunks are unacknowledged. */
  private void awaitCredits() throws IOException {
    acquire(1);
  }

  /** Waits until every chunk sent has been acknowledged. */
  private void awaitAllCredits() throws IOException {
    acquire(WINDOW);
    credits.release(WINDOW);
  }

  private void acquire(int count) throws IOException {
    try {
      if (!credits.tryAcquire(count, stallMillis, TimeUnit.MILLISECONDS)) {
        throw new IOException(stalled());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("the job was interrupted");
    }
    if (failure != null) {
      throw new IOException("the download stopped: " + failure.getMessage(), failure);
    }
  }

  private String stalled() {
    return "the client took no data for " + stallMillis / 1000 + " seconds";
  }

  private DeliveryOptions options(String part) {
    return Addresses.here().addHeader(Fields.STREAM_PART, part).addHeader(Fields.JOB_ID, jobId)
      .setCodecName(ChunkCodec.NAME).setSendTimeout(stallMillis);
  }
}
