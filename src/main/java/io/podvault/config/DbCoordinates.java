package io.podvault.config;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Where the database is, how to sign in to it and how to protect the connection: {@code sslMode} and
 * {@code sslRootCert} (a PEM file, or null) as libpq names them. {@code io.podvault.db.Connections} turns
 * them into connections of every kind.
 */
public record DbCoordinates(String host, int port, String database, String user, String password, SslMode sslMode,
                            String sslRootCert) {

  /** Coordinates without TLS settings of their own: libpq's default, {@link SslMode#PREFER}. */
  public DbCoordinates(String host, int port, String database, String user, String password) {
    this(host, port, database, user, password, SslMode.PREFER, null);
  }

  public static DbCoordinates fromUrl(String url) {
    return DbUrl.parse(url, null);
  }

  /**
   * Whether {@code typed} is this database's password. Compares digests in constant time, so the time taken
   * tells neither how much of it matched nor its length.
   */
  public boolean passwordMatches(String typed) {
    return typed != null && MessageDigest.isEqual(sha256(password), sha256(typed));
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  public DbCoordinates withPassword(String otherPassword) {
    return new DbCoordinates(host, port, database, user, otherPassword, sslMode, sslRootCert);
  }

  public DbCoordinates withDatabase(String otherDatabase) {
    return new DbCoordinates(host, port, otherDatabase, user, password, sslMode, sslRootCert);
  }

  public DbCoordinates withSsl(SslMode mode, String rootCert) {
    return new DbCoordinates(host, port, database, user, password, mode, rootCert);
  }

  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("port", port).put("database", database)
      .put("user", user).put("password", password).put("sslmode", sslMode.text()).put("sslrootcert", sslRootCert);
  }

  public static DbCoordinates fromJson(JsonObject json) {
    return new DbCoordinates(json.getString("host"), json.getInteger("port"), json.getString("database"),
      json.getString("user"), json.getString("password"), SslMode.of(json.getString("sslmode", "prefer")),
      json.getString("sslrootcert"));
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + port + "/" + database + " (sslmode " + sslMode.text() + ")";
  }
}
