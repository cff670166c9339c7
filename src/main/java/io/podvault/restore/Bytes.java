package io.podvault.restore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The byte scan a restore runs over every byte of a backup: finding line ends while counting what a row
 * check needs, eight bytes at a time. Each long read from the array is first tested for any byte below 0x20
 * ("has less than" arithmetic); only words with a control byte are examined exactly, with the classic "has
 * a zero byte" test per value. The tail shorter than eight bytes is scanned one byte at a time.
 */
final class Bytes {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
  private static final long HIGH = 0x8080808080808080L;
  private static final long SPACES = 0x2020202020202020L;

  private Bytes() {
  }

  /** One high bit for every byte of {@code word} that equals {@code value}'s byte, none elsewhere. */
  private static long matches(long word, long pattern) {
    long x = word ^ pattern;
    return ~(((x & LOW7) + LOW7) | x | LOW7);
  }

  /** What a line holds, as far as checking a row of COPY text needs; filled in while the line end is sought. */
  static final class LineShape {

    int tabs;
    /** High bits of every byte passed: non-zero when a byte is not ASCII. */
    long high;
    /** Non-zero when a raw carriage return or NUL byte was passed. */
    long forbidden;

    void clear() {
      tabs = 0;
      high = 0;
      forbidden = 0;
    }
  }

  /**
   * Index of the first '\n' in {@code bytes[from, to)}, or -1; the bytes passed over before it are added to
   * {@code shape}. A word without any byte below 0x20 (most of them: text) needs only that one test.
   */
  static int scanLine(byte[] bytes, int from, int to, LineShape shape) {
    int i = from;
    long high = 0;
    for (; i + 8 <= to; i += 8) {
      long word = (long) LONGS.get(bytes, i);
      if (((word - SPACES) & ~word & HIGH) == 0) {
        high |= word;
        continue;
      }
      long newline = matches(word, '\n' * ONES);
      int before = Long.numberOfTrailingZeros(newline) / 8;
      long passed = newline == 0 ? -1L : before == 0 ? 0 : -1L >>> (64 - 8 * before);
      word &= passed;
      high |= word;
      shape.tabs += Long.bitCount(matches(word, '\t' * ONES) & passed);
      shape.forbidden |= (matches(word, '\r' * ONES) | matches(word, 0)) & passed;
      if (newline != 0) {
        shape.high |= high & HIGH;
        return i + before;
      }
    }
    shape.high |= high & HIGH;
    for (; i < to; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        return i;
      }
      shape.tabs += b == '\t' ? 1 : 0;
      shape.forbidden |= b == '\r' || b == 0 ? 1 : 0;
      shape.high |= b & 0x80;
    }
    return -1;
  }
}
