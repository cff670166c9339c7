package io.podvault.dump;

import io.podvault.auth.PasswordHasher;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key that seals a backup: argon2id of the database password with a salt kept in the header, slow on
 * purpose so a stolen file cannot be tried against many passwords quickly. The seal is HMAC-SHA-256 of the
 * content's SHA-256 digest under that key.
 */
public final class Seal {

  private static final int MEMORY_KIB = 65_536;
  private static final int ITERATIONS = 3;
  private static final int PARALLELISM = 1;
  private static final int SALT_BYTES = 16;
  private static final int MAX_MEMORY_KIB = 1 << 20;
  private static final int MAX_ITERATIONS = 64;
  private static final int MAX_PARALLELISM = 16;
  /**
   * Keys derived lately or being derived, a few: each is one salt and password, and a hostile caller only ever adds
   * misses. A second caller for a key under way waits for it rather than deriving it again.
   */
  private static final int CACHED_KEYS = 8;
  private static final Map<String, CompletableFuture<byte[]>> DERIVED = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<byte[]>> eldest) {
      return size() > CACHED_KEYS;
    }
  });

  private final int memoryKib;
  private final int iterations;
  private final int parallelism;
  private final byte[] salt;

  private Seal(int memoryKib, int iterations, int parallelism, byte[] salt) {
    this.memoryKib = memoryKib;
    this.iterations = iterations;
    this.parallelism = parallelism;
    this.salt = salt;
  }

  /** New parameters with a fresh salt. */
  public static Seal fresh() {
    return withSalt(newSalt());
  }

  /** This version's parameters with a salt kept elsewhere ({@link SealingKey}'s, the database's). */
  static Seal withSalt(byte[] salt) {
    return new Seal(MEMORY_KIB, ITERATIONS, PARALLELISM, salt.clone());
  }

  static byte[] newSalt() {
    byte[] salt = new byte[SALT_BYTES];
    new SecureRandom().nextBytes(salt);
    return salt;
  }

  /** The parameters a header names; refuses values that would make checking a hostile file too costly. */
  public static Seal fromJson(JsonObject kdf) {
    if (!"argon2id".equals(kdf.getString("algorithm")) || !Integer.valueOf(19).equals(kdf.getInteger("version"))) {
      throw new IllegalArgumentException("the key derivation is not argon2id version 19");
    }
    int memory = kdf.getInteger("memory_kib");
    int iterations = kdf.getInteger("iterations");
    int parallelism = kdf.getInteger("parallelism");
    if (memory < 8 * parallelism || memory > MAX_MEMORY_KIB || iterations < 1 || iterations > MAX_ITERATIONS
      || parallelism < 1 || parallelism > MAX_PARALLELISM) {
      throw new IllegalArgumentException("the key derivation parameters are out of range");
    }
    byte[] salt = Base64.getDecoder().decode(kdf.getString("salt"));
    if (salt.length < 8 || salt.length > 64) {
      throw new IllegalArgumentException("the key derivation salt has a wrong length");
    }
    return new Seal(memory, iterations, parallelism, salt);
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("algorithm", "argon2id")
      .put("version", 19)
      .put("memory_kib", memoryKib)
      .put("iterations", iterations)
      .put("parallelism", parallelism)
      .put("salt", Base64.getEncoder().encodeToString(salt));
  }

  /**
   * The sealing key for a password; takes a noticeable fraction of a second by design, the first time for a
   * salt and password in this process. Later calls find it derived: the backups of this database all carry its
   * salt ({@link SealingKey}), so a process that derived its own backups' key has every such file's key.
   */
  public byte[] key(String password) {
    String id = cacheId(password);
    for (;;) {
      CompletableFuture<byte[]> mine = new CompletableFuture<>();
      CompletableFuture<byte[]> known = DERIVED.putIfAbsent(id, mine);
      if (known == null) {
        return derive(password, id, mine);
      }
      try {
        return known.join().clone();
      } catch (CompletionException failed) {
        DERIVED.remove(id, known); // that derivation failed: this caller tries for itself
      }
    }
  }

  private byte[] derive(String password, String id, CompletableFuture<byte[]> result) {
    try {
      byte[] key = PasswordHasher.derive(password, salt, memoryKib, iterations, parallelism, 32);
      result.complete(key.clone());
      return key;
    } catch (RuntimeException | Error e) {
      DERIVED.remove(id, result);
      result.completeExceptionally(e);
      throw e;
    }
  }

  /** Stands for the salt, parameters and password, without keeping the password. */
  private String cacheId(String password) {
    MessageDigest digest = sha256();
    digest.update(toJson().encode().getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    digest.update(password.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest.digest());
  }

  public static byte[] hmac(byte[] key, byte[] contentSha256) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(contentSha256);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
