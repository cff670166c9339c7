package io.podvault.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Argon2id password hashes in PinePods' PHC format")
class PasswordHasherTest {

  /**
   * Made by the reference argon2 implementation (Debian's argon2 command):
   * {@code echo -n 'PinePods-pässword 1' | argon2 pinepods-salt-16 -id -t 3 -k 65536 -p 4 -l 32 -e},
   * the parameters PinePods' argon2-cffi PasswordHasher uses.
   */
  private static final String PINEPODS_HASH =
    "$argon2id$v=19$m=65536,t=3,p=4$cGluZXBvZHMtc2FsdC0xNg$UzuEDvR4GpqGhSP7j6LlkHT+Bt5g2P04L/DLlQWXL5s";

  @Test
  @DisplayName("a hash made by the reference implementation verifies with its password only")
  void pinepodsHashVerifies() {
    assertThat(PasswordHasher.verify(PINEPODS_HASH, "PinePods-pässword 1")).isTrue();
    assertThat(PasswordHasher.verify(PINEPODS_HASH, "PinePods-pässword 2")).isFalse();
    assertThat(PasswordHasher.verify(PINEPODS_HASH, "")).isFalse();
  }

  @Test
  @DisplayName("new hashes use PinePods' format and parameters, with a fresh salt each time")
  void newHashes() {
    String first = PasswordHasher.hash("correct horse");
    String second = PasswordHasher.hash("correct horse");
    assertThat(first).startsWith("$argon2id$v=19$m=65536,t=3,p=4$");
    assertThat(first).isNotEqualTo(second);
    assertThat(PasswordHasher.verify(first, "correct horse")).isTrue();
    assertThat(PasswordHasher.verify(second, "correct horse")).isTrue();
    assertThat(PasswordHasher.verify(first, "correct horsE")).isFalse();
  }

  @Test
  @DisplayName("the Java fallback derives exactly what the reference implementation derives")
  void javaFallbackAgrees() {
    assertThat(PasswordHasher.usesNativeLibrary()).as("the native library loads on Linux x86-64").isTrue();
    byte[] salt = "sixteen-byte-slt".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int parallelism : new int[] {1, 4}) {
      for (int length : new int[] {4, 32, 64}) {
        assertThat(PasswordHasher.deriveInJava("pässword", salt, 1024, 2, parallelism, length))
          .as("p=%d, %d bytes", parallelism, length)
          .isEqualTo(PasswordHasher.derive("pässword", salt, 1024, 2, parallelism, length));
      }
    }
  }

  @Test
  @DisplayName("unreadable or abusive stored hashes never verify")
  void malformedHashes() {
    assertThat(PasswordHasher.verify(null, "x")).isFalse();
    assertThat(PasswordHasher.verify("plaintext", "plaintext")).isFalse();
    assertThat(PasswordHasher.verify("$2b$12$abcdefghijklmnopqrstuv", "x")).isFalse();
    assertThat(PasswordHasher.verify(PINEPODS_HASH.replace("m=65536", "m=99999999"), "PinePods-pässword 1")).isFalse();
    assertThat(PasswordHasher.verify(PINEPODS_HASH.replace("$argon2id$", "$argon2i$"), "PinePods-pässword 1")).isFalse();
  }
}
