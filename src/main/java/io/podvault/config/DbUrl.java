package io.podvault.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Parses {@code postgresql://user:pass@host:port/db}, the form of {@code PODVAULT_DB_URL}. The password is the
 * "database password" that backup and restore ask for, so a URL without one (and no {@code db_password} to
 * give it) is refused: podvault would otherwise have nothing to check a typed password against.
 */
final class DbUrl {

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
    return new DbCoordinates(uri.getHost(), port, path.substring(1), user, password);
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static ConfigException invalid(String why) {
    return new ConfigException(ConfigKeys.DB_URL + ": invalid database URL: " + why);
  }
}
