package io.podvault.restore;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads raw lines (bytes, without the newline) from a stream, counting bytes and lines, refusing lines
 * longer than a limit so a hostile file cannot make one line fill memory.
 */
final class LineReader {

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[256 * 1024];
  private int position;
  private int limit;
  private byte[] line = new byte[8 * 1024];
  private int lineLength;
  private long offset;
  private long lineStart;
  private long lineNumber;
  private boolean lastLineTerminated = true;

  LineReader(InputStream in, int maxLineBytes) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * The next whole line, or false at the end (or before a last line that has no newline); the line is then
   * in {@link #bytes()} / {@link #length()}.
   */
  boolean next() throws IOException, InvalidBackupException {
    lineLength = 0;
    lineStart = offset;
    boolean any = false;
    while (true) {
      if (position == limit) {
        limit = in.read(buffer, 0, buffer.length);
        position = 0;
        if (limit <= 0) {
          // A last line without its newline is a file cut mid-line: it counts as no line at all.
          limit = 0;
          lastLineTerminated = !any;
          return false;
        }
      }
      any = true;
      int start = position;
      while (position < limit && buffer[position] != '\n') {
        position++;
      }
      append(start, position - start);
      if (position < limit) {
        position++;
        offset++;
        lineNumber++;
        return true;
      }
    }
  }

  private void append(int start, int count) throws InvalidBackupException {
    if (lineLength + count > maxLineBytes) {
      throw new InvalidBackupException("line " + (lineNumber + 1) + " (at byte " + lineStart
        + ") is longer than " + maxLineBytes / (1024 * 1024) + " MiB; this is not a podvault backup or it is damaged");
    }
    if (lineLength + count > line.length) {
      line = Arrays.copyOf(line, Math.max(lineLength + count, Math.min(maxLineBytes, line.length * 2)));
    }
    System.arraycopy(buffer, start, line, lineLength, count);
    lineLength += count;
    offset += count;
  }

  byte[] bytes() {
    return line;
  }

  int length() {
    return lineLength;
  }

  String text() {
    return new String(line, 0, lineLength, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Byte offset of the current line's first byte. */
  long lineStart() {
    return lineStart;
  }

  long lineNumber() {
    return lineNumber;
  }

  /** False when the stream ended without a newline after the last line. */
  boolean lastLineTerminated() {
    return lastLineTerminated;
  }
}
