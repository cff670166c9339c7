package io.podvault.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Gzip: backups read alike, compressed or not")
class GzipTest {

  private static final byte[] TEXT = "-- podvault backup\nCOPY \"public\".\"Users\" (userid) FROM stdin;\n1\n\\.\n"
    .repeat(2_000).getBytes(StandardCharsets.UTF_8);

  /** {@code plain}, gzip-compressed as the gzip command would. */
  static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(plain);
    }
    return out.toByteArray();
  }

  @Test
  @DisplayName("a plain file is read as it is; a gzip file is recognised by its first bytes and decompressed, its bytes counted")
  void recognisedByContent() throws IOException {
    try (Gzip.Content content = Gzip.open(new ByteArrayInputStream(TEXT), Long.MAX_VALUE)) {
      assertThat(content.compressed()).isFalse();
      assertThat(content.readAllBytes()).isEqualTo(TEXT);
      assertThat(content.sourceBytesRead()).isEqualTo(TEXT.length);
    }
    byte[] compressed = gzip(TEXT);
    try (Gzip.Content content = Gzip.open(new ByteArrayInputStream(compressed), Long.MAX_VALUE)) {
      assertThat(content.compressed()).isTrue();
      assertThat(content.readAllBytes()).isEqualTo(TEXT);
      assertThat(content.sourceBytesRead()).isEqualTo(compressed.length);
    }
  }

  @Test
  @DisplayName("two gzip members one after the other (as cat of two files makes) read as one text")
  void concatenatedMembers() throws IOException {
    byte[] half = Arrays.copyOf(TEXT, TEXT.length / 2);
    byte[] rest = Arrays.copyOfRange(TEXT, TEXT.length / 2, TEXT.length);
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.write(gzip(half));
    both.write(gzip(rest));
    try (Gzip.Content content = Gzip.open(new ByteArrayInputStream(both.toByteArray()), Long.MAX_VALUE)) {
      assertThat(content.readAllBytes()).isEqualTo(TEXT);
    }
  }

  @Test
  @DisplayName("a cut or damaged gzip file fails as damaged, wherever it is cut")
  void damaged() throws IOException {
    byte[] compressed = gzip(TEXT);
    for (int length : new int[] {3, 12, compressed.length / 2, compressed.length - 4}) {
      assertThatThrownBy(() -> Gzip.open(new ByteArrayInputStream(Arrays.copyOf(compressed, length)), Long.MAX_VALUE).readAllBytes())
        .as("cut at %d", length).isInstanceOf(Gzip.DamagedException.class).hasMessageContaining("incomplete gzip file");
    }
    byte[] flipped = compressed.clone();
    flipped[compressed.length / 2] ^= 0x55;
    assertThatThrownBy(() -> Gzip.open(new ByteArrayInputStream(flipped), Long.MAX_VALUE).readAllBytes())
      .isInstanceOf(Gzip.DamagedException.class);
  }

  @Test
  @DisplayName("a small gzip file that decompresses to more than the limit stops at the limit")
  void decompressionIsBounded() throws IOException {
    byte[] zeros = gzip(new byte[8 * 1024 * 1024]);
    assertThat(zeros.length).isLessThan(64 * 1024);
    try (Gzip.Content content = Gzip.open(new ByteArrayInputStream(zeros), 1024 * 1024)) {
      assertThatThrownBy(content::readAllBytes).isInstanceOf(Gzip.TooLargeException.class)
        .hasMessageContaining("more than 1048576 bytes");
    }
  }
}
