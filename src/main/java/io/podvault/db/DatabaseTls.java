package io.podvault.db;

import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * {@code sslmode} and {@code sslrootcert} as each of podvault's clients needs them, with libpq's meanings:
 * {@code prefer} uses TLS when the server offers it and checks no certificate; {@code require} insists on TLS
 * and checks the certificate against {@code sslrootcert} when one is given (as libpq does with a root
 * certificate), not otherwise; {@code verify-ca} checks it; {@code verify-full} also checks that it names the
 * host connected to. The libraries differ from libpq in two places, made good here: pgjdbc checks nothing under
 * {@code require} even with a root certificate, and vertx-pg-client checks every certificate against the JDK's
 * trust store unless told to trust all.
 */
final class DatabaseTls {

  /** libpq's require and prefer without a root certificate: encrypted, the server not authenticated. */
  private static final TrustManager UNCHECKED = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      // never asked: podvault is the client
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // any certificate: nothing was given to check it against
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  private DatabaseTls() {
  }

  /** pgjdbc's {@code sslmode}. */
  static String jdbcSslMode(DbCoordinates db) {
    return db.sslMode() == SslMode.REQUIRE && db.sslRootCert() != null ? SslMode.VERIFY_CA.text() : db.sslMode().text();
  }

  /** The reactive client's TLS options. */
  static PgConnectOptions applyTo(PgConnectOptions options, DbCoordinates db) {
    ClientSSLOptions ssl = new ClientSSLOptions()
      .setHostnameVerificationAlgorithm(db.sslMode() == SslMode.VERIFY_FULL ? "HTTPS" : "");
    if (db.sslRootCert() == null) {
      ssl.setTrustAll(true);
    } else {
      ssl.setTrustOptions(new PemTrustOptions().addCertPath(db.sslRootCert()));
    }
    return options.setSslMode(reactiveMode(db.sslMode())).setSslOptions(ssl);
  }

  private static io.vertx.pgclient.SslMode reactiveMode(SslMode mode) {
    return switch (mode) {
      case DISABLE -> io.vertx.pgclient.SslMode.DISABLE;
      case PREFER -> io.vertx.pgclient.SslMode.PREFER;
      case REQUIRE -> io.vertx.pgclient.SslMode.REQUIRE;
      case VERIFY_CA -> io.vertx.pgclient.SslMode.VERIFY_CA;
      case VERIFY_FULL -> io.vertx.pgclient.SslMode.VERIFY_FULL;
    };
  }

  /** The COPY connection's TLS sockets, or null under {@code disable}; the host check is the connection's. */
  static SSLSocketFactory socketFactory(DbCoordinates db) throws SQLException {
    if (db.sslMode() == SslMode.DISABLE) {
      return null;
    }
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, db.sslRootCert() == null ? new TrustManager[] {UNCHECKED} : trusting(db.sslRootCert()), null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException | IOException e) {
      throw new SQLException("the database's root certificate " + db.sslRootCert() + " (sslrootcert) cannot be used: "
        + e.getMessage(), "08006", e);
    }
  }

  /** Trust managers that accept the certificates signed by those in the PEM file. */
  private static TrustManager[] trusting(String pemFile) throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(Path.of(pemFile))) {
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("root-" + i++, certificate);
      }
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory.getTrustManagers();
  }

  /**
   * A failed TLS handshake, told so that an administrator knows what to check; other failures as they are.
   * The libraries' own words ("PKIX path building failed") name neither the file nor the remedy.
   */
  static SQLException explained(DbCoordinates db, SQLException failure) {
    SSLException tls = tlsCause(failure);
    if (tls == null) {
      return failure;
    }
    String check = db.sslRootCert() == null
      ? "check the database server's TLS settings"
      : "check that " + db.sslRootCert() + " (sslrootcert) holds the certificate of the authority that signed the "
        + "database server's certificate" + (db.sslMode() == SslMode.VERIFY_FULL
          ? ", and that the server's certificate names the host " + db.host() + " as db_url does" : "");
    return new SQLException("TLS with the database failed (sslmode " + db.sslMode().text() + "): " + tls.getMessage()
      + "; " + check, "08006", failure);
  }

  private static SSLException tlsCause(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof SSLException tls) {
        return tls;
      }
    }
    return null;
  }
}
