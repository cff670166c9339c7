package io.podvault.config;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * Parses {@code postgresql://user:pass@host:port/db?sslmode=...&sslrootcert=...}, the form of
 * {@code PODVAULT_DB_URL}. The password is the "database password" that backup and restore ask for, so a URL
 * without one (and no {@code db_password} to give it) is refused: podvault would otherwise have nothing to check
 * a typed password against.
 *
 * <p>{@code java.net.URI} splits the URL. vertx-pg-client's {@code PgConnectOptions.fromUri} would not serve:
 * it ignores {@code sslrootcert} and misspelt parameters without a word (and then uses no TLS at all), refuses
 * passwords with {@code +} or {@code ;}, which are legal in a URL, puts "user" and "pass" in place of a missing
 * user and password, and quotes the whole URL, password included, in its errors.
 */
final class DbUrl {

  private static final String SSLMODE = "sslmode";
  private static final String SSLROOTCERT = "sslrootcert";

  private DbUrl() {
  }

  /** {@code fallbackPassword} ({@code db_password}) is used when the URL carries none; may be null. */
  static DbCoordinates parse(String url, String fallbackPassword) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid("it is not a URL (" + e.getReason() + ")");
    }
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
      throw invalid("it must start with postgresql://");
    }
    if (uri.getHost() == null) {
      throw invalid("it names no host");
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo == null || userInfo.startsWith(":") || userInfo.isEmpty()) {
      throw invalid("it must carry user and password (postgresql://user:pass@host:port/db)");
    }
    int colon = userInfo.indexOf(':');
    String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
    String password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
    if (password.isEmpty()) {
      password = fallbackPassword == null ? "" : fallbackPassword;
    }
    if (password.isEmpty()) {
      throw invalid("it carries no password, and " + ConfigKeys.envName(ConfigKeys.DB_PASSWORD) + " gives none: the "
        + "database password is what backup and restore check, so podvault needs it "
        + "(postgresql://user:pass@host:port/db)");
    }
    String path = uri.getPath();
    if (path == null || path.length() < 2) {
      throw invalid("it names no database (postgresql://user:pass@host:port/db)");
    }
    int port = uri.getPort() == -1 ? 5432 : uri.getPort();
    Map<String, String> parameters = parameters(uri.getRawQuery());
    SslMode sslMode = sslMode(parameters.get(SSLMODE));
    String rootCert = rootCert(parameters.get(SSLROOTCERT), sslMode);
    return new DbCoordinates(uri.getHost(), port, path.substring(1), user, password, sslMode, rootCert);
  }

  /** The query's parameters: only those podvault honours, each once, so a misspelt one is not silently lost. */
  private static Map<String, String> parameters(String rawQuery) {
    Map<String, String> parameters = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return parameters;
    }
    for (String pair : rawQuery.split("&", -1)) {
      int equals = pair.indexOf('=');
      String name = decode(equals < 0 ? pair : pair.substring(0, equals));
      if (!name.equals(SSLMODE) && !name.equals(SSLROOTCERT)) {
        throw invalid("unknown parameter '" + name + "' (podvault takes " + SSLMODE + " and " + SSLROOTCERT + ")");
      }
      String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
      if (value.isEmpty()) {
        throw invalid(name + " has no value");
      }
      if (parameters.put(name, value) != null) {
        throw invalid(name + " is given twice");
      }
    }
    return parameters;
  }

  private static SslMode sslMode(String text) {
    if (text == null) {
      return SslMode.PREFER;
    }
    try {
      return SslMode.of(text);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  /**
   * The root certificate's absolute path, checked now so that a missing or unreadable file stops the start
   * rather than the first backup. libpq would look for {@code ~/.postgresql/root.crt} when the verify modes
   * name no file; podvault's three clients would not agree on that home folder's file, so the file must be named.
   * With {@code prefer} libpq checks a root certificate but then falls back to plain TCP when the check fails,
   * which protects nothing, so that pair is refused too.
   */
  private static String rootCert(String file, SslMode mode) {
    if (file == null) {
      if (mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL) {
        throw invalid(SSLMODE + "=" + mode.text() + " checks the server's certificate against " + SSLROOTCERT
          + ", and none is given: add " + SSLROOTCERT + "=/path/to/ca.pem, the PEM file of the certificate authority "
          + "that signed the database server's certificate");
      }
      return null;
    }
    if (!mode.requiresTls()) {
      throw invalid(SSLROOTCERT + " is used with " + SSLMODE + " require, verify-ca or verify-full only; with "
        + SSLMODE + "=" + mode.text() + " the connection may be plain TCP and no certificate is checked: add "
        + SSLMODE + "=verify-full");
    }
    Path path = Path.of(file).toAbsolutePath().normalize();
    if (!Files.isRegularFile(path)) {
      throw invalid(SSLROOTCERT + " " + path + " does not exist or is not a file");
    }
    try (InputStream in = Files.newInputStream(path)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw invalid(SSLROOTCERT + " " + path + " holds no certificate; it must be a PEM file "
          + "(-----BEGIN CERTIFICATE-----)");
      }
    } catch (IOException e) {
      throw invalid(SSLROOTCERT + " " + path + " cannot be read: " + e.getMessage());
    } catch (CertificateException e) {
      throw invalid(SSLROOTCERT + " " + path + " is not a PEM certificate file: " + e.getMessage());
    }
    return path.toString();
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static ConfigException invalid(String why) {
    return new ConfigException(ConfigKeys.DB_URL + ": invalid database URL: " + why);
  }
}
