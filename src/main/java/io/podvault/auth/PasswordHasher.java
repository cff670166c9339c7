package io.podvault.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import de.mkammerer.argon2.Argon2Advanced;
import de.mkammerer.argon2.Argon2Factory;
import de.mkammerer.argon2.Argon2Version;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.slf4j.LoggerFactory;

/**
 * Argon2id password hashes in the PHC string format that PinePods stores
 * ({@code $argon2id$v=19$m=65536,t=3,p=4$salt$hash}), so accounts restored from PinePods sign in.
 * New hashes use PinePods' parameters. Hashing is slow and memory-hungry by design: call it off the
 * event loop, on a small bounded pool. The reference C implementation does the work where it loads (its
 * memory is then outside the Java heap); BouncyCastle's gives the same output elsewhere.
 */
public final class PasswordHasher {

  private static final int MEMORY_KIB = 65_536;
  private static final int ITERATIONS = 3;
  private static final int PARALLELISM = 4;
  private static final int HASH_BYTES = 32;
  private static final int SALT_BYTES = 16;
  /** Refuse stored parameters that would let one bad row exhaust memory or time. */
  private static final int MAX_MEMORY_KIB = 1 << 20;
  private static final int MAX_ITERATIONS = 64;

  private static final Pattern PHC = Pattern.compile(
    "^\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,3})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)$");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODER = Base64.getDecoder();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The reference argon2 library (through JNA) when it loads on this machine, else null. */
  private static final Argon2Advanced NATIVE = loadNative();

  private PasswordHasher() {
  }

  private static Argon2Advanced loadNative() {
    try {
      Argon2Advanced argon2 = Argon2Factory.createAdvanced(Argon2Factory.Argon2Types.ARGON2id);
      // Loads the library now rather than at the first sign-in.
      argon2.rawHashAdvanced(1, 8, 1, new byte[1], new byte[SALT_BYTES], null, null, 4, Argon2Version.V13);
      return argon2;
    } catch (LinkageError | RuntimeException e) {
      LoggerFactory.getLogger(PasswordHasher.class)
        .warn("The native argon2 library does not load on this machine ({}); hashing in Java instead, about half as fast", e.toString());
      return null;
    }
  }

  public static String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
    return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
      + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
  }

  /** True when {@code password} matches {@code phc}; false for a wrong password or a hash it cannot read. */
  public static boolean verify(String phc, String password) {
    if (phc == null || password == null) {
      return false;
    }
    Matcher m = PHC.matcher(phc);
    if (!m.matches()) {
      return false;
    }
    int memory = Integer.parseInt(m.group(1));
    int iterations = Integer.parseInt(m.group(2));
    int parallelism = Integer.parseInt(m.group(3));
    if (memory > MAX_MEMORY_KIB || iterations < 1 || iterations > MAX_ITERATIONS || parallelism < 1
      || memory < 8 * parallelism) {
      return false;
    }
    byte[] salt;
    byte[] expected;
    try {
      salt = B64_DECODER.decode(m.group(4));
      expected = B64_DECODER.decode(m.group(5));
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (expected.length < 4 || expected.length > 1024) {
      return false;
    }
    byte[] actual = derive(password, salt, memory, iterations, parallelism, expected.length);
    return MessageDigest.isEqual(expected, actual);
  }

  /** Raw argon2id (version 19) output; the backup seal derives its key with it too. */
  public static byte[] derive(String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    // The library refuses an empty password (it cannot hand over zero bytes); Java derives that one.
    if (NATIVE != null && !password.isEmpty()) {
      return NATIVE.rawHashAdvanced(iterations, memoryKib, parallelism, password.getBytes(StandardCharsets.UTF_8), salt,
        null, null, length, Argon2Version.V13);
    }
    return deriveInJava(password, salt, memoryKib, iterations, parallelism, length);
  }

  static boolean usesNativeLibrary() {
    return NATIVE != null;
  }

  /** BouncyCastle's argon2id: the same output, slower, and its memory on the heap. */
  static byte[] deriveInJava(String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
      .withVersion(Argon2Parameters.ARGON2_VERSION_13)
      .withMemoryAsKB(memoryKib)
      .withIterations(iterations)
      .withParallelism(parallelism)
      .withSalt(salt)
      .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(params);
    byte[] out = new byte[length];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
