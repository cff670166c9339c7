package io.podvault.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a file while it is still being stored, never past what its writer says is stored: a read waits until
 * there is something to read, and fails when the upload stopped. So the restore checks the backup as it
 * arrives instead of after it.
 */
final class ArrivingFile extends InputStream {

  private final FileChannel channel;
  private final Watermark stored;
  private final long stallMillis;
  private long read;

  ArrivingFile(Path file, Watermark stored, long stallMillis) throws IOException {
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    this.stored = stored;
    this.stallMillis = stallMillis;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    long available = stored.await(read, stallMillis, "the upload stalled: nothing arrived for " + stallMillis / 1000
      + " seconds") - read;
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

  /** What can be read now without waiting (a gzip reader asks, at the end of a member, whether another follows). */
  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(0, stored.position() - read));
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
