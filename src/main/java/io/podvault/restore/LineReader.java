package io.podvault.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Reads raw lines (bytes, without the newline) from a stream without copying them: a line is a slice of
 * the reader's buffer, valid until the next call. It counts bytes and lines, refuses lines longer than a
 * limit so a hostile file cannot make one line fill memory, and hashes what it has read: the digest can be
 * taken up to the start of any line still in the buffer, which is how a trailer is kept out of its own
 * checksum without reading the file twice.
 */
final class LineReader {

  private static final int BUFFER_BYTES = 256 * 1024;

  private final InputStream in;
  private final int maxLineBytes;
  private final MessageDigest digest;
  private byte[] buffer = new byte[BUFFER_BYTES];
  /** The file offset of {@code buffer[0]}. */
  private long bufferStart;
  private int limit;
  /** Where the next line begins. */
  private int position;
  /** Bytes of the buffer before this index have been given to the digest. */
  private int hashed;
  private int lineOffset;
  private int lineLength;
  private long lineNumber;
  private boolean ended;
  private final Bytes.LineShape shape = new Bytes.LineShape();

  LineReader(InputStream in, int maxLineBytes, MessageDigest digest) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
    this.digest = digest;
  }

  /**
   * The next whole line, or false at the end of the stream; the line is then in {@link #bytes()} from
   * {@link #offset()} for {@link #length()} bytes. A last line without its newline counts as no line at
   * all (see {@link #atEnd()}).
   */
  boolean next() throws IOException, InvalidBackupException {
    lineOffset = position;
    int scanFrom = position;
    shape.clear();
    while (true) {
      int newline = Bytes.scanLine(buffer, scanFrom, limit, shape);
      if (newline >= 0) {
        lineLength = newline - lineOffset;
        position = newline + 1;
        lineNumber++;
        return true;
      }
      if (limit - lineOffset > maxLineBytes) {
        throw new InvalidBackupException("line " + (lineNumber + 1) + " (at byte " + lineStart()
          + ") is longer than " + maxLineBytes / (1024 * 1024) + " MiB; this is not a podvault backup or it is damaged");
      }
      int scanned = limit - lineOffset;
      if (!fill()) {
        lineLength = 0;
        return false;
      }
      scanFrom = lineOffset + scanned;
    }
  }

  /** Moves the unfinished line to the front of the buffer (hashing what goes), then reads more behind it. */
  private boolean fill() throws IOException {
    if (ended) {
      return false;
    }
    hashUpTo(lineOffset);
    int kept = limit - lineOffset;
    System.arraycopy(buffer, lineOffset, buffer, 0, kept);
    bufferStart += lineOffset;
    hashed -= lineOffset;
    position = 0;
    lineOffset = 0;
    limit = kept;
    if (limit == buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.min(buffer.length * 2, maxLineBytes + 2));
    }
    int n = in.read(buffer, limit, buffer.length - limit);
    if (n <= 0) {
      ended = true;
      return false;
    }
    limit += n;
    return true;
  }

  private void hashUpTo(int end) {
    if (digest != null && end > hashed) {
      digest.update(buffer, hashed, end - hashed);
      hashed = end;
    }
  }

  /** The SHA-256 of everything before the current line (which is left out), ending the digest. */
  byte[] digestBeforeLine() {
    hashUpTo(lineOffset);
    return digest.digest();
  }

  /** Tabs, raw CR or NUL bytes and non-ASCII bytes of the current line. */
  Bytes.LineShape shape() {
    return shape;
  }

  byte[] bytes() {
    return buffer;
  }

  int offset() {
    return lineOffset;
  }

  int length() {
    return lineLength;
  }

  /** Whether the current line is exactly {@code expected}. */
  boolean is(byte[] expected) {
    return Arrays.equals(buffer, lineOffset, lineOffset + lineLength, expected, 0, expected.length);
  }

  String text() {
    return new String(buffer, lineOffset, lineLength, StandardCharsets.UTF_8);
  }

  /** Byte offset of the current line's first byte. */
  long lineStart() {
    return bufferStart + lineOffset;
  }

  /** How many bytes of the stream have been read so far. */
  long bytesRead() {
    return bufferStart + limit;
  }

  long lineNumber() {
    return lineNumber;
  }

  /** True once the stream has ended with nothing after the last newline. */
  boolean atEnd() throws IOException {
    lineOffset = position;
    lineLength = 0;
    return position == limit && !fill();
  }
}
