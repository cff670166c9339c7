package io.podvault.restore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The two byte scans a restore runs over every byte of a backup (finding line ends, checking rows), eight
 * bytes at a time: each long read from the array is tested for a byte value with the classic "has a zero
 * byte" arithmetic instead of eight comparisons. Both scans are exact; the tail shorter than eight bytes
 * is scanned one byte at a time.
 */
final class Bytes {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
  private static final long HIGH = 0x8080808080808080L;

  private Bytes() {
  }

  /** One high bit for every byte of {@code word} that equals {@code value}'s byte, none elsewhere. */
  private static long matches(long word, long pattern) {
    long x = word ^ pattern;
    return ~(((x & LOW7) + LOW7) | x | LOW7);
  }

  /** Index of the first '\n' in {@code bytes[from, to)}, or -1. */
  static int indexOfNewline(byte[] bytes, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long hits = matches((long) LONGS.get(bytes, i), '\n' * ONES);
      if (hits != 0) {
        return i + Long.numberOfTrailingZeros(hits) / 8;
      }
    }
    for (; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** What a row of COPY text holds, as far as checking it needs. */
  record RowShape(int tabs, boolean rawCarriageReturnOrNul, boolean ascii) {
  }

  /** Counts tabs and spots raw CR and NUL bytes and non-ASCII bytes in {@code bytes[from, to)}. */
  static RowShape shape(byte[] bytes, int from, int to) {
    int tabs = 0;
    long forbidden = 0;
    long high = 0;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long word = (long) LONGS.get(bytes, i);
      tabs += Long.bitCount(matches(word, '\t' * ONES));
      forbidden |= matches(word, '\r' * ONES) | matches(word, 0);
      high |= word & HIGH;
    }
    for (; i < to; i++) {
      byte b = bytes[i];
      tabs += b == '\t' ? 1 : 0;
      forbidden |= b == '\r' || b == 0 ? 1 : 0;
      high |= b & 0x80;
    }
    return new RowShape(tabs, forbidden != 0, high == 0);
  }
}
