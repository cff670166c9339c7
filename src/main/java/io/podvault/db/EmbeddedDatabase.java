package io.podvault.db;

import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default database: a real PostgreSQL whose cluster lives in {@code <data>/postgres} and survives
 * restarts. Its superuser has a real password and every connection, TCP or socket, must give it
 * (scram-sha-256), so the "database password" an administrator types means something.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final String ROLE = "postgres";
  private static final String DATABASE = "postgres";
  private static final List<String> SECURED_HBA = List.of(
    "# Written by podvault: every connection must give the role's password.",
    "local all all scram-sha-256",
    "host all all 127.0.0.1/32 scram-sha-256",
    "host all all ::1/128 scram-sha-256");

  private final EmbeddedPostgres postgres;
  private final DbCoordinates coordinates;

  private EmbeddedDatabase(EmbeddedPostgres postgres, DbCoordinates coordinates) {
    this.postgres = postgres;
    this.coordinates = coordinates;
  }

  /**
   * Starts (and on first use creates) the cluster under {@code dataDir}. The password is the configured
   * one, else the one kept with the data, else a new one that is printed once.
   */
  public static EmbeddedDatabase start(Path dataDir, String configuredPassword, int port) throws IOException, SQLException {
    Path clusterDir = dataDir.resolve("postgres");
    Path passwordFile = dataDir.resolve("db-password");
    Files.createDirectories(dataDir);
    stopOrphanedServer(clusterDir);

    boolean secured = Files.exists(passwordFile);
    String stored = secured ? Files.readString(passwordFile, StandardCharsets.UTF_8).trim() : null;
    String password = configuredPassword != null ? configuredPassword : stored != null ? stored : generatePassword();
    // Until the role has a password the cluster must let podvault in without one, exactly once.
    String connectPassword = secured ? stored : password;

    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
      .setDataDirectory(clusterDir)
      .setCleanDataDirectory(false)
      .setRegisterShutdownHook(false)
      .setPGStartupWait(Duration.ofSeconds(60))
      .setServerConfig("listen_addresses", "localhost")
      .setServerConfig("password_encryption", "scram-sha-256")
      .setConnectConfig("password", connectPassword)
      .setDataDirectoryCustomizer(dir -> {
        if (secured) {
          writeSecuredHba(dir.toPath());
        }
      });
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres postgres = builder.start();
    // The cluster listens on localhost only and has no certificate: asking it for TLS would only cost a refusal
    // on every connection (and the reactive client a second connection after it).
    DbCoordinates coordinates = new DbCoordinates("localhost", postgres.getPort(), DATABASE, ROLE, password)
      .withSsl(SslMode.DISABLE, null);
    try {
      if (!secured || !password.equals(stored)) {
        setRolePassword(coordinates.withPassword(connectPassword), password);
        writePrivate(passwordFile, password);
        writeSecuredHba(clusterDir);
        reloadConfiguration(coordinates);
        if (!secured && configuredPassword == null) {
          printGeneratedPassword(password, passwordFile);
        }
      }
    } catch (SQLException | IOException | RuntimeException e) {
      postgres.close();
      throw e;
    }
    LOG.info("Embedded PostgreSQL is up at {} (cluster {})", coordinates, clusterDir.toAbsolutePath());
    return new EmbeddedDatabase(postgres, coordinates);
  }

  public DbCoordinates coordinates() {
    return coordinates;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }

  /**
   * A podvault process killed with SIGKILL leaves its postmaster running on the cluster; the next start
   * would then refuse to use the data folder. Stop that orphan first (only a postmaster of this cluster).
   */
  private static void stopOrphanedServer(Path clusterDir) {
    Path pidFile = clusterDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      Optional<ProcessHandle> orphan = ProcessHandle.of(pid)
        .filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
      if (orphan.isPresent()) {
        LOG.warn("Stopping PostgreSQL {} left running on {} by an earlier podvault process", pid, clusterDir);
        orphan.get().destroy();
        orphan.get().onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warn("Could not check for a PostgreSQL left running on {}: {}", clusterDir, e.toString());
    }
  }

  private static void setRolePassword(DbCoordinates admin, String password) throws SQLException {
    try (Connection c = Connections.open(admin)) {
      // Sends a SCRAM verifier computed here, so the password itself never appears in SQL text or logs.
      c.unwrap(PGConnection.class).alterUserPassword(ROLE, password.toCharArray(), "scram-sha-256");
    }
  }

  private static void reloadConfiguration(DbCoordinates coordinates) throws SQLException {
    try (Connection c = Connections.open(coordinates);
         Statement s = c.createStatement()) {
      s.execute("SELECT pg_reload_conf()");
    }
  }

  private static void writeSecuredHba(Path clusterDir) {
    try {
      Files.write(clusterDir.resolve("pg_hba.conf"), SECURED_HBA, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + clusterDir.resolve("pg_hba.conf") + ": " + e.getMessage(), e);
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content + "\n", StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: the folder's own permissions protect it
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String generatePassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void printGeneratedPassword(String password, Path kept) {
    System.out.println("podvault: generated database password (kept in " + kept + "): " + password);
  }
}
