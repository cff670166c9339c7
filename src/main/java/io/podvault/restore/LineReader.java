package io.podvault.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Reads raw lines (bytes, without the newline) from a stream without copying them: a line is a slice of
 * the reader's buffer, valid until the next call. It counts bytes and lines, refuses lines longer than a
 * limit, and hashes what it has read: the digest can be taken up to the start of any line still in the
 * buffer, which is how a trailer is kept out of its own checksum without reading the file twice.
 *
 * <p>A line longer than {@value #STREAM_AFTER_BYTES} bytes (a row with a large field) is not kept whole:
 * what has been scanned of it is checked as UTF-8, hashed and let go, so memory stays bounded however long
 * the line. Of such a long line only its shape, its UTF-8 validity, its length and its last part remain.
 */
final class LineReader {

  private static final int BUFFER_BYTES = 256 * 1024;
  /** A line is streamed through once this much of it is in the buffer. */
  static final int STREAM_AFTER_BYTES = 8 * 1024 * 1024;

  private final InputStream in;
  private final int maxLineBytes;
  private MessageDigest digest;
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
  /** Where the current line starts in the file, and how much of it was let go (non-zero for a long line). */
  private long lineStart;
  private long streamed;
  /** Whether the part of a long line that was let go is valid UTF-8. */
  private boolean streamedUtf8;
  private long lineNumber;
  private boolean ended;
  /** Whether COPY escapes are checked; their state over the part of a long line that was let go. */
  private boolean checkEscapes;
  private int streamedEscapes;
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
    lineStart = bufferStart + position;
    streamed = 0;
    streamedUtf8 = true;
    streamedEscapes = CopyEscapes.FIELD_START;
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
      if (streamed + limit - lineOffset > maxLineBytes) {
        throw new InvalidBackupException("line " + (lineNumber + 1) + " (at byte " + lineStart
          + ") is longer than " + maxLineBytes + " bytes, more than PostgreSQL can hold in one row; "
          + "this is not a podvault backup or it is damaged");
      }
      if (limit - lineOffset >= STREAM_AFTER_BYTES) {
        letGo(Utf8.completeUpTo(buffer, lineOffset, limit));
      }
      int scanned = limit - lineOffset;
      if (!fill()) {
        lineLength = 0;
        return false;
      }
      scanFrom = lineOffset + scanned;
    }
  }

  /**
   * Reads more behind what the buffer holds. Only a full buffer is made room in, by moving the unfinished line
   * to its front (hashing what goes) or, when that line fills it, by growing it: moving a partial line at every
   * read would copy a long line over and over.
   */
  private boolean fill() throws IOException {
    if (ended) {
      return false;
    }
    if (limit == buffer.length) {
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
    }
    int n = in.read(buffer, limit, buffer.length - limit);
    if (n <= 0) {
      ended = true;
      return false;
    }
    limit += n;
    return true;
  }

  /** Checks, hashes and drops the current line's bytes before {@code end}, which ends on a whole character. */
  private void letGo(int end) {
    if (shape.high != 0 && streamedUtf8) {
      streamedUtf8 = Utf8.isValid(buffer, lineOffset, end);
    }
    if (checkEscapes) {
      streamedEscapes = CopyEscapes.feed(buffer, lineOffset, end, streamedEscapes);
    }
    hashUpTo(end);
    streamed += end - lineOffset;
    lineOffset = end;
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

  /** The length of the whole current line. */
  long length() {
    return streamed + lineLength;
  }

  /** Whether the current line is exactly {@code expected}. */
  boolean is(byte[] expected) {
    return streamed == 0 && Arrays.equals(buffer, lineOffset, lineOffset + lineLength, expected, 0, expected.length);
  }

  /** Whether the whole current line is valid UTF-8. */
  boolean isValidUtf8() {
    return shape.high == 0 || streamedUtf8 && Utf8.isValid(buffer, lineOffset, lineOffset + lineLength);
  }

  /**
   * From here on, files are not hashed (a file without a seal needs no checksum) and the escapes of long
   * lines are followed as they are let go, for {@link #hasValidEscapes}.
   */
  void readUnsealed() {
    digest = null;
    checkEscapes = true;
  }

  /** Whether the whole current line, read as a row of COPY text, holds only the escapes COPY writes. */
  boolean hasValidEscapes() {
    return CopyEscapes.canEnd(CopyEscapes.feed(buffer, lineOffset, lineOffset + lineLength, streamedEscapes));
  }

  /** The current line as text; of a long line, only its last part, after "...". */
  String text() {
    String kept = new String(buffer, lineOffset, lineLength, StandardCharsets.UTF_8);
    return streamed == 0 ? kept : "..." + kept;
  }

  /** Byte offset of the current line's first byte. */
  long lineStart() {
    return lineStart;
  }

  /** Byte offset just after the current line's newline: where the next line begins. */
  long lineEnd() {
    return lineStart + length() + 1;
  }

  /** How many bytes of the stream have been read so far. */
  long bytesRead() {
    return bufferStart + limit;
  }

  long lineNumber() {
    return lineNumber;
  }

  /** The buffer's size now: bounded whatever the lines' length. */
  int capacity() {
    return buffer.length;
  }

  /** True once the stream has ended with nothing after the last newline. */
  boolean atEnd() throws IOException {
    lineOffset = position;
    lineStart = bufferStart + position;
    lineLength = 0;
    streamed = 0;
    return position == limit && !fill();
  }
}
