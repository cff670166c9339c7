package io.podvault.restore;

/**
 * The backslash escapes of a row of COPY text, held to the ones COPY itself writes: {@code \\ \b \f \n \r \t \v},
 * and {@code \N} as a whole field (NULL). PostgreSQL would read other escapes too (octal, hex, any other
 * character as itself, a backslash before the newline joining two lines), but no dump holds them: in a file
 * without a seal they mark damage. A row is fed in pieces and the state carried between them, so a long row
 * streamed through in chunks is checked the same way.
 */
final class CopyEscapes {

  /** At the start of a field: the state a row begins in. */
  static final int FIELD_START = 0;
  private static final int IN_FIELD = 1;
  private static final int AFTER_BACKSLASH = 2;
  private static final int AFTER_BACKSLASH_AT_FIELD_START = 3;
  /** After a whole-field {@code \N}: only the field's end may follow. */
  private static final int AFTER_NULL = 4;
  static final int BAD = -1;

  private CopyEscapes() {
  }

  /** The state after {@code bytes[from, to)}, starting in {@code state}; {@link #BAD} once an escape is wrong. */
  static int feed(byte[] bytes, int from, int to, int state) {
    for (int i = from; i < to && state != BAD; i++) {
      byte b = bytes[i];
      state = switch (state) {
        case FIELD_START, IN_FIELD -> b == '\\' ? (state == FIELD_START ? AFTER_BACKSLASH_AT_FIELD_START : AFTER_BACKSLASH)
          : b == '\t' ? FIELD_START : IN_FIELD;
        case AFTER_BACKSLASH, AFTER_BACKSLASH_AT_FIELD_START -> switch (b) {
          case '\\', 'b', 'f', 'n', 'r', 't', 'v' -> IN_FIELD;
          case 'N' -> state == AFTER_BACKSLASH_AT_FIELD_START ? AFTER_NULL : BAD;
          default -> BAD;
        };
        default -> b == '\t' ? FIELD_START : BAD;
      };
    }
    return state;
  }

  /** Whether a row may end in {@code state}: not inside an escape. */
  static boolean canEnd(int state) {
    return state == FIELD_START || state == IN_FIELD || state == AFTER_NULL;
  }
}
