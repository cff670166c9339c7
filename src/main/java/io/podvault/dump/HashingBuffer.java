package io.podvault.dump;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Gathers small writes (a backup's rows, a few hundred bytes each) into large blocks, each added to a digest
 * and passed on whole. It does what a BufferedOutputStream over a DigestOutputStream does, without the lock
 * that BufferedOutputStream takes on every write: millions of rows are written by one thread. Without a
 * digest (a file that is not sealed) it only gathers.
 */
final class HashingBuffer extends OutputStream {

  private final OutputStream out;
  private final MessageDigest digest;
  private final byte[] block;
  private int filled;

  /** @param digest what each block is added to, or null */
  HashingBuffer(OutputStream out, MessageDigest digest, int blockBytes) {
    this.out = out;
    this.digest = digest;
    this.block = new byte[blockBytes];
  }

  @Override
  public void write(int b) throws IOException {
    if (filled == block.length) {
      pass();
    }
    block[filled++] = (byte) b;
  }

  /** A write of a block or more (a reader's block of rows) is digested and passed on as it is, not copied first. */
  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (length >= block.length) {
      pass();
      if (digest != null) {
        digest.update(bytes, offset, length);
      }
      out.write(bytes, offset, length);
      return;
    }
    while (length > 0) {
      if (filled == block.length) {
        pass();
      }
      int n = Math.min(length, block.length - filled);
      System.arraycopy(bytes, offset, block, filled, n);
      filled += n;
      offset += n;
      length -= n;
    }
  }

  /** Passes on and digests what is gathered; the stream below is flushed too. */
  @Override
  public void flush() throws IOException {
    pass();
    out.flush();
  }

  private void pass() throws IOException {
    if (filled > 0) {
      if (digest != null) {
        digest.update(block, 0, filled);
      }
      out.write(block, 0, filled);
      filled = 0;
    }
  }
}
