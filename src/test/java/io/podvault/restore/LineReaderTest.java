package io.podvault.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.dump.Seal;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading a backup's lines, the longest rows included")
class LineReaderTest {

  /** {@code count} copies of {@code piece}, generated as read. */
  private static InputStream repeated(byte[] piece, int count) {
    long total = (long) piece.length * count;
    return new InputStream() {
      private long served;

      @Override
      public int read() {
        return served < total ? piece[(int) (served++ % piece.length)] & 0xFF : -1;
      }

      @Override
      public int read(byte[] into, int offset, int length) {
        if (served == total) {
          return -1;
        }
        int n = (int) Math.min(length, total - served);
        for (int i = 0; i < n; i++) {
          into[offset + i] = piece[(int) (served++ % piece.length)];
        }
        return n;
      }
    };
  }

  private static InputStream concat(InputStream... parts) {
    return new SequenceInputStream(Collections.enumeration(List.of(parts)));
  }

  private static InputStream text(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("a 100 MiB row of tabs and multi-byte characters is read whole in shape, UTF-8 and checksum, in a bounded buffer")
  void longRowStreams() throws Exception {
    // 7 bytes: a character of each length, so characters straddle every point where the reader lets go.
    byte[] piece = "a\té€𝄞".getBytes(StandardCharsets.UTF_8);
    assertThat(piece).hasSize(11);
    int copies = 100 * 1024 * 1024 / piece.length;
    LineReader lines = new LineReader(concat(text("first\n"), repeated(piece, copies), text("\nlast\n")),
      BackupValidator.MAX_LINE_BYTES, Seal.sha256());
    assertThat(lines.next()).isTrue();
    assertThat(lines.text()).isEqualTo("first");
    assertThat(lines.next()).isTrue();
    assertThat(lines.lineStart()).isEqualTo(6);
    assertThat(lines.length()).isEqualTo((long) piece.length * copies);
    assertThat(lines.shape().tabs).isEqualTo(copies);
    assertThat(lines.shape().forbidden).isZero();
    assertThat(lines.isValidUtf8()).isTrue();
    assertThat(lines.is("a".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(lines.capacity()).isLessThanOrEqualTo(2 * LineReader.STREAM_AFTER_BYTES);
    assertThat(lines.next()).isTrue();
    assertThat(lines.text()).isEqualTo("last");
    assertThat(lines.lineStart()).isEqualTo(6 + (long) piece.length * copies + 1);

    MessageDigest expected = Seal.sha256();
    expected.update("first\n".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < copies; i++) {
      expected.update(piece);
    }
    expected.update("\n".getBytes(StandardCharsets.UTF_8));
    assertThat(lines.digestBeforeLine()).isEqualTo(expected.digest());
  }

  @Test
  @DisplayName("a bad byte early in a long row is still found after that part was let go")
  void invalidUtf8InTheStreamedPart() throws Exception {
    byte[] bad = {(byte) 0xC3, (byte) 0x28};
    LineReader lines = new LineReader(concat(new ByteArrayInputStream(bad), repeated("é".repeat(1000).getBytes(StandardCharsets.UTF_8),
      10_000), text("\n")), BackupValidator.MAX_LINE_BYTES, Seal.sha256());
    assertThat(lines.next()).isTrue();
    assertThat(lines.length()).isEqualTo(2 + 2_000L * 10_000);
    assertThat(lines.isValidUtf8()).isFalse();
  }

  @Test
  @DisplayName("a cut point never splits a character")
  void cutPoints() {
    byte[] bytes = "ab€𝄞".getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8.completeUpTo(bytes, 0, bytes.length)).isEqualTo(bytes.length);
    assertThat(Utf8.completeUpTo(bytes, 0, bytes.length - 1)).isEqualTo(5);
    assertThat(Utf8.completeUpTo(bytes, 0, 4)).isEqualTo(2);
    assertThat(Utf8.completeUpTo(bytes, 0, 5)).isEqualTo(5);
    assertThat(Utf8.completeUpTo(bytes, 0, 2)).isEqualTo(2);
  }
}
