package io.podvault.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Parses {@code postgresql://user:pass@host:port/db}, the form of {@code PODVAULT_DB_URL}. */
final class DbUrl {

  private DbUrl() {
  }

  static DbCoordinates parse(String url) {
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
    if (userInfo == null || !userInfo.contains(":")) {
      throw invalid("it must carry user and password (postgresql://user:pass@host:port/db)");
    }
    String user = decode(userInfo.substring(0, userInfo.indexOf(':')));
    String password = decode(userInfo.substring(userInfo.indexOf(':') + 1));
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
