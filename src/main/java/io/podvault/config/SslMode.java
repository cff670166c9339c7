package io.podvault.config;

import java.util.Locale;

/** How a database connection uses TLS, with libpq's names and meanings. */
public enum SslMode {
  /** Plain TCP only. */
  DISABLE,
  /** TLS when the server offers it, plain TCP otherwise; the server's certificate is not checked. */
  PREFER,
  /** TLS or no connection; the certificate is checked against {@code sslrootcert} when one is given. */
  REQUIRE,
  /** TLS, with a certificate signed by {@code sslrootcert}. */
  VERIFY_CA,
  /** TLS, with a certificate signed by {@code sslrootcert} that names the host connected to. */
  VERIFY_FULL;

  /** The mode's name in a URL: {@code verify-full}. */
  public String text() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** True when a connection without TLS is refused. */
  public boolean requiresTls() {
    return this != DISABLE && this != PREFER;
  }

  /** Parses a URL's {@code sslmode}; throws {@link IllegalArgumentException} naming the accepted values. */
  public static SslMode of(String text) {
    for (SslMode mode : values()) {
      if (mode.text().equals(text)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("sslmode must be one of disable, prefer, require, verify-ca or verify-full, got '"
      + text + "'");
  }
}
