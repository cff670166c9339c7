package io.podvault.restore;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Backups compressed with gzip, recognised by gzip's two magic bytes at the start, never by the file's name: a
 * restore, the backup folder and {@code verify} read {@code .sql} and {@code .sql.gz} alike.
 */
public final class Gzip {

  private static final int BUFFER_BYTES = 256 * 1024;

  private Gzip() {
  }

  /** A gzip stream that is damaged, or cut short. */
  public static final class DamagedException extends IOException {
    DamagedException(IOException cause) {
      super("it is a damaged or incomplete gzip file (" + cause.getMessage() + ")", cause);
    }
  }

  /** A gzip stream that decompresses to more than it may. */
  public static final class TooLargeException extends IOException {
    TooLargeException(long maxBytes) {
      super("it decompresses to more than " + maxBytes + " bytes");
    }
  }

  /** A backup's content, and how much of the stream it comes from (compressed or not) has been read. */
  public static final class Content extends FilterInputStream {

    private final Counting source;
    private final boolean compressed;
    private final long maxBytes;
    private long read;
    private FileChannel copy;

    private Content(InputStream content, Counting source, boolean compressed, long maxBytes) {
      super(content);
      this.source = source;
      this.compressed = compressed;
      this.maxBytes = maxBytes;
    }

    public boolean compressed() {
      return compressed;
    }

    /**
     * From now on, writes what is read to {@code channel} as well, before the read returns, and closes it with this
     * stream: a reader of that file finds there whatever was read from this stream.
     */
    public void copyTo(FileChannel channel) {
      copy = channel;
    }

    /** Bytes taken from the underlying stream so far (a little ahead of the content read, which is buffered). */
    public long sourceBytesRead() {
      return source.count;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      int n;
      try {
        n = super.read(into, offset, length);
      } catch (ZipException | EOFException e) {
        throw compressed ? new DamagedException(e) : e;
      }
      if (n > 0) {
        read += n;
        if (read > maxBytes) {
          throw new TooLargeException(maxBytes);
        }
        if (copy != null) {
          ByteBuffer written = ByteBuffer.wrap(into, offset, n);
          while (written.hasRemaining()) {
            copy.write(written);
          }
        }
      }
      return n;
    }

    /** Skipped bytes count as read, like any others. */
    @Override
    public long skip(long n) throws IOException {
      byte[] discard = new byte[(int) Math.max(0, Math.min(n, 8192))];
      long left = n;
      while (left > 0) {
        int r = read(discard, 0, (int) Math.min(left, discard.length));
        if (r < 0) {
          break;
        }
        left -= r;
      }
      return n - left;
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    @Override
    public void close() throws IOException {
      try (FileChannel copied = copy) {
        super.close();
      }
    }
  }

  /**
   * The content of {@code source}: decompressed when it starts with gzip's magic bytes, else as it is. A content
   * longer than {@code maxBytes} fails with {@link TooLargeException}, a broken gzip stream with
   * {@link DamagedException}. Closing the content closes {@code source}.
   */
  public static Content open(InputStream source, long maxBytes) throws IOException {
    Counting counting = new Counting(source);
    BufferedInputStream buffered = new BufferedInputStream(counting, BUFFER_BYTES);
    try {
      buffered.mark(2);
      boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
      buffered.reset();
      InputStream content = gzip ? new GZIPInputStream(buffered, BUFFER_BYTES) : buffered;
      return new Content(content, counting, gzip, maxBytes);
    } catch (ZipException | EOFException e) {
      buffered.close();
      throw new DamagedException(e);
    } catch (IOException | RuntimeException e) {
      buffered.close();
      throw e;
    }
  }

  /** Counts the bytes read through it. */
  private static final class Counting extends FilterInputStream {

    private long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      int n = super.read(into, offset, length);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count += skipped;
      return skipped;
    }
  }
}
