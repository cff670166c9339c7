package io.podvault.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads an upload while it is still being stored: the writer announces how many bytes are in the file so
 * far, then that it is complete, or that it was cancelled. Reads block until there is something to read,
 * so the restore checks the backup as it arrives instead of after it, and never reads past what was written.
 */
public final class ArrivingFile extends InputStream {

  /** The upload stopped before it was complete; the message says why. */
  public static final class CancelledException extends IOException {

    CancelledException(String message) {
      super(message);
    }
  }

  private final FileChannel channel;
  private final long stallMillis;
  private long read;
  private long stored;
  private boolean complete;
  private String cancelled;

  /**
   * @param stallMillis how long a read waits for more bytes before it gives up on the upload: a safety net,
   *   as the writer announces a stalled client's end itself
   */
  public ArrivingFile(Path file, long stallMillis) throws IOException {
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    this.stallMillis = stallMillis;
  }

  /** At least {@code bytes} bytes are now in the file. */
  public synchronized void stored(long bytes) {
    stored = Math.max(stored, bytes);
    notifyAll();
  }

  /** The file is complete at {@code bytes} bytes. */
  public synchronized void complete(long bytes) {
    stored = bytes;
    complete = true;
    notifyAll();
  }

  /** The upload stopped; a read blocked now, or any later one, fails with {@code why}. */
  public synchronized void cancel(String why) {
    if (cancelled == null) {
      cancelled = why;
    }
    notifyAll();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    long available = awaitBytes();
    if (available == 0) {
      return -1;
    }
    int n = channel.read(ByteBuffer.wrap(into, offset, (int) Math.min(length, available)), read);
    if (n < 0) {
      throw new IOException("the stored upload is shorter than what was written to it; was it changed on disk?");
    }
    read += n;
    return n;
  }

  /** Bytes that may be read now; zero at the end of a complete file. */
  private synchronized long awaitBytes() throws IOException {
    long deadline = System.currentTimeMillis() + stallMillis;
    while (read == stored && !complete && cancelled == null) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new CancelledException("the upload stalled: nothing arrived for " + stallMillis / 1000 + " seconds");
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancelledException("the restore was interrupted");
      }
    }
    if (cancelled != null) {
      throw new CancelledException(cancelled);
    }
    return stored - read;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
