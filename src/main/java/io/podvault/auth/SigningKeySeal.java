package io.podvault.auth;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the token-signing secrets stored in {@code podvault.signing_key}: AES-256-GCM under a key derived from the
 * database password with PBKDF2-HMAC-SHA256 and a salt stored beside them. A dump of the whole database (PinePods'
 * own backups dump every schema) then carries only sealed secrets, and guessing the password from one costs the
 * derivation per guess. Every process on the database knows the password and reads the same salt, so every process
 * derives the same key; it does so once, at start, on a worker thread (the derivation is deliberately slow).
 */
public final class SigningKeySeal {

  private static final String PREFIX = "sealed1:";
  private static final int ITERATIONS = 310_000;
  private static final int SALT_BYTES = 16;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final String READ = "SELECT secret, previous_secret, salt FROM podvault.signing_key WHERE id = 1 FOR UPDATE";
  private static final String CREATE =
    "INSERT INTO podvault.signing_key (id, secret, salt) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING";
  private static final String SET_SALT = "UPDATE podvault.signing_key SET salt = ? WHERE id = 1";
  private static final String SEAL_SECRETS = "UPDATE podvault.signing_key SET secret = ?, previous_secret = ? WHERE id = 1";

  private final SecretKeySpec key;

  private SigningKeySeal(SecretKeySpec key) {
    this.key = key;
  }

  /**
   * The seal of this database's signing key, which this creates (sealed) when there is none yet; a key stored in
   * clear by an earlier release is sealed now. Blocking: a worker thread's work.
   */
  public static SigningKeySeal prepare(DbCoordinates db) throws SQLException {
    try (Connection c = Connections.open(db)) {
      c.setAutoCommit(false);
      try {
        SigningKeySeal seal = prepare(c, db.password());
        c.commit();
        return seal;
      } catch (SQLException | RuntimeException e) {
        Connections.rollbackQuietly(c);
        throw e;
      }
    }
  }

  private static SigningKeySeal prepare(Connection c, String password) throws SQLException {
    try (PreparedStatement read = c.prepareStatement(READ); ResultSet rs = read.executeQuery()) {
      if (!rs.next()) {
        byte[] salt = newSalt();
        SigningKeySeal seal = derive(password, salt);
        try (PreparedStatement ps = c.prepareStatement(CREATE)) {
          ps.setString(1, seal.seal(TokenService.newSecret()));
          ps.setBytes(2, salt);
          if (ps.executeUpdate() == 1) {
            return seal;
          }
        }
        // Another process created it meanwhile: its salt is the one.
        return prepare(c, password);
      }
      byte[] salt = rs.getBytes("salt");
      if (salt == null) {
        salt = newSalt();
        try (PreparedStatement ps = c.prepareStatement(SET_SALT)) {
          ps.setBytes(1, salt);
          ps.executeUpdate();
        }
      }
      SigningKeySeal seal = derive(password, salt);
      String secret = rs.getString("secret");
      String previous = rs.getString("previous_secret");
      if (!isSealed(secret) || (previous != null && !isSealed(previous))) {
        try (PreparedStatement ps = c.prepareStatement(SEAL_SECRETS)) {
          ps.setString(1, isSealed(secret) ? secret : seal.seal(secret));
          ps.setString(2, previous == null || isSealed(previous) ? previous : seal.seal(previous));
          ps.executeUpdate();
        }
      }
      return seal;
    }
  }

  /** A secret as it is stored. */
  public String seal(String secret) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      return PREFIX + Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length)
        .put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is missing from this Java runtime", e);
    }
  }

  /** The secret a stored value holds; a value sealed under another password does not open. */
  public String open(String stored) {
    if (!isSealed(stored)) {
      throw new IllegalStateException("the signing key in schema podvault is not sealed; restart podvault to seal it");
    }
    byte[] bytes = Base64.getDecoder().decode(stored.substring(PREFIX.length()));
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
      return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalStateException("the signing key in schema podvault was sealed with another database password; "
        + "every podvault on this database must be given the same password (db_password or the password in db_url); after "
        + "changing that password on purpose, delete the row of podvault.signing_key and restart (everyone signs in again)", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is missing from this Java runtime", e);
    }
  }

  private static boolean isSealed(String stored) {
    return stored.startsWith(PREFIX);
  }

  private static byte[] newSalt() {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return salt;
  }

  private static SigningKeySeal derive(String password, byte[] salt) {
    char[] chars = password.toCharArray();
    PBEKeySpec spec = new PBEKeySpec(chars, salt, ITERATIONS, 256);
    try {
      byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      return new SigningKeySeal(new SecretKeySpec(key, "AES"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2 is missing from this Java runtime", e);
    } finally {
      spec.clearPassword();
      Arrays.fill(chars, '\0');
    }
  }
}
