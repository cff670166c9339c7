package io.podvault.restore;

/** A strict UTF-8 check over raw bytes (no overlongs, no surrogates, nothing past U+10FFFF). */
final class Utf8 {

  private Utf8() {
  }

  /**
   * Where {@code bytes[from, to)} can be cut without splitting a character: {@code to}, or the start of a
   * multi-byte sequence that runs past it. Invalid bytes are left for {@link #isValid} to find.
   */
  static int completeUpTo(byte[] bytes, int from, int to) {
    for (int i = to - 1; i >= Math.max(from, to - 3); i--) {
      int b = bytes[i] & 0xFF;
      if ((b & 0xC0) != 0x80) {
        int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        return i + length > to ? i : to;
      }
    }
    return to;
  }

  /** Whether {@code bytes[from, to)} is valid UTF-8. */
  static boolean isValid(byte[] bytes, int from, int to) {
    int i = from;
    while (i < to) {
      int b = bytes[i] & 0xFF;
      if (b < 0x80) {
        i++;
        continue;
      }
      int extra;
      int min;
      if (b >= 0xC2 && b <= 0xDF) {
        extra = 1;
        min = 0x80;
      } else if (b >= 0xE0 && b <= 0xEF) {
        extra = 2;
        min = 0x800;
      } else if (b >= 0xF0 && b <= 0xF4) {
        extra = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + extra >= to) {
        return false;
      }
      int code = b & (0x3F >> extra);
      for (int k = 1; k <= extra; k++) {
        int c = bytes[i + k] & 0xFF;
        if ((c & 0xC0) != 0x80) {
          return false;
        }
        code = (code << 6) | (c & 0x3F);
      }
      if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return false;
      }
      i += extra + 1;
    }
    return true;
  }
}
