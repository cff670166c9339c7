package io.podvault.db;

import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default database: a real PostgreSQL whose cluster lives in {@code <data>/postgres} and survives
 * restarts. Its superuser has a real password from the moment the cluster exists (initdb sets it), and every
 * connection, TCP or socket, must give it (scram-sha-256), so the "database password" an administrator types
 * means something. The caller holds the data folder's lock ({@link DataFolder}), so a postmaster found running
 * on the cluster is an orphan of a killed podvault, never another podvault's database.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  /**
   * Whether a commit reported done survives a crash of the machine. The library's defaults ({@code -F}, that is
   * fsync off, and {@code synchronous_commit=off}) suit throwaway test clusters only; later {@code -c} settings
   * win over {@code -F}.
   */
  public enum Durability {
    CRASH_SAFE("on"),
    /** Throwaway test clusters: a crash may lose or corrupt them, which a test does not mind. */
    TEST_ONLY_NO_FSYNC("off");

    private final String setting;

    Durability(String setting) {
      this.setting = setting;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final String ROLE = "postgres";
  private static final String DATABASE = "postgres";
  static final String PASSWORD_FILE = "db-password";
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

  /** Starts the cluster with every commit flushed to disk: what podvault itself runs. */
  public static EmbeddedDatabase start(Path dataDir, String configuredPassword, int port) throws IOException, SQLException {
    return start(dataDir, configuredPassword, port, Durability.CRASH_SAFE);
  }

  /**
   * Starts (and on first use creates) the cluster under {@code dataDir}. The password is the configured one,
   * else the one kept with the data, else a new one that is printed once.
   */
  public static EmbeddedDatabase start(Path dataDir, String configuredPassword, int port, Durability durability)
    throws IOException, SQLException {
    Path clusterDir = dataDir.resolve("postgres");
    Path passwordFile = dataDir.resolve(PASSWORD_FILE);
    DataFolder.createPrivateDirectories(dataDir);
    stopOrphanedServer(clusterDir);

    // The library runs initdb exactly when this file is missing.
    boolean created = Files.exists(clusterDir.resolve("postgresql.conf"));
    String stored = Files.exists(passwordFile) ? Files.readString(passwordFile, StandardCharsets.UTF_8).trim() : null;
    if (created && stored == null && configuredPassword == null) {
      throw new IllegalStateException("the embedded database exists but its password file " + passwordFile
        + " is missing; set PODVAULT_DB_PASSWORD to the database's password");
    }
    boolean generated = !created && configuredPassword == null && stored == null;
    String password = configuredPassword != null ? configuredPassword : stored != null ? stored : generatePassword();
    // The password the role has now: the kept one, unless the cluster is new or the file is missing.
    String current = created && stored != null ? stored : password;
    EmbeddedPostgres.Builder builder = builder(clusterDir, port, durability, current);
    Path initdbPassword = dataDir.resolve("initdb-password");
    if (!created) {
      // Kept before the cluster exists, so a crash between the two never leaves a cluster nobody can open.
      DataFolder.writeDurably(passwordFile, password + "\n");
      Files.deleteIfExists(initdbPassword);
      Files.writeString(DataFolder.createPrivateFile(initdbPassword), password, StandardCharsets.UTF_8);
      builder.setLocaleConfig("auth", "scram-sha-256").setLocaleConfig("pwfile", initdbPassword.toString());
    }
    EmbeddedPostgres postgres;
    try {
      postgres = builder.start();
    } finally {
      Files.deleteIfExists(initdbPassword);
    }
    // The cluster listens on localhost only and has no certificate: asking it for TLS would only cost a refusal
    // on every connection (and the reactive client a second connection after it).
    DbCoordinates coordinates = new DbCoordinates("localhost", postgres.getPort(), DATABASE, ROLE, password,
      SslMode.DISABLE, null);
    try {
      if (!password.equals(current)) {
        changeRolePassword(coordinates.withPassword(current), password, passwordFile);
      }
      if (generated) {
        printGeneratedPassword(password, passwordFile);
      }
    } catch (SQLException | IOException | RuntimeException e) {
      postgres.close();
      throw e;
    }
    LOG.info("Embedded PostgreSQL is up at {} (cluster {}, fsync {})", coordinates, clusterDir.toAbsolutePath(),
      durability.setting);
    return new EmbeddedDatabase(postgres, coordinates);
  }

  /**
   * The cluster, set up so that it never accepts a connection without the password: initdb gives the role its
   * password and scram-sha-256 rules, and podvault's own rules replace them before the server first starts.
   * The library checks readiness by signing in, with {@code connectPassword}.
   */
  private static EmbeddedPostgres.Builder builder(Path clusterDir, int port, Durability durability, String connectPassword) {
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
      .setDataDirectory(clusterDir)
      .setCleanDataDirectory(false)
      .setRegisterShutdownHook(false)
      .setPGStartupWait(Duration.ofSeconds(60))
      .setServerConfig("listen_addresses", "localhost")
      .setServerConfig("password_encryption", "scram-sha-256")
      .setServerConfig("fsync", durability.setting)
      .setServerConfig("synchronous_commit", durability.setting)
      .setServerConfig("full_page_writes", durability.setting)
      .setConnectConfig("password", connectPassword)
      .setDataDirectoryCustomizer(dir -> writeSecuredHba(dir.toPath()));
    if (port > 0) {
      builder.setPort(port);
    }
    return builder;
  }

  public DbCoordinates coordinates() {
    return coordinates;
  }

  /**
   * How to reach the cluster under {@code dataDir} that a running podvault started (the command line, while a server
   * holds the data folder): the port from the cluster's {@code postmaster.pid}, the password configured or kept with
   * the data.
   */
  public static DbCoordinates ofRunningServer(Path dataDir, String configuredPassword) throws IOException {
    Path pidFile = dataDir.resolve("postgres").resolve("postmaster.pid");
    List<String> lines;
    try {
      lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException("the podvault that holds " + dataDir + " has no embedded database running (no " + pidFile
        + "); wait until it has started, or stop it", e);
    }
    // PostgreSQL's layout: pid, data directory, start time, port, socket directory, listen address, ...
    if (lines.size() < 4 || !lines.get(3).trim().matches("\\d{1,5}")) {
      throw new IOException(pidFile + " does not name a port; is the database still starting?");
    }
    int port = Integer.parseInt(lines.get(3).trim());
    String password = configuredPassword;
    Path passwordFile = dataDir.resolve(PASSWORD_FILE);
    if (password == null && Files.exists(passwordFile)) {
      password = Files.readString(passwordFile, StandardCharsets.UTF_8).trim();
    }
    if (password == null) {
      throw new IOException("the embedded database's password file " + passwordFile + " is missing; set PODVAULT_DB_PASSWORD");
    }
    return new DbCoordinates("localhost", port, DATABASE, ROLE, password, SslMode.DISABLE, null);
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }

  /**
   * A configured password that differs from the kept one becomes the role's password, then is kept. (A crash
   * in the moment between the two leaves the old password in the file, which the next start signs in with and
   * fails: deleting the file then makes it sign in with PODVAULT_DB_PASSWORD.)
   */
  private static void changeRolePassword(DbCoordinates current, String password, Path passwordFile)
    throws SQLException, IOException {
    try (Connection c = Connections.open(current)) {
      // Sends a SCRAM verifier computed here, so the password itself never appears in SQL text or logs.
      c.unwrap(PGConnection.class).alterUserPassword(ROLE, password.toCharArray(), "scram-sha-256");
    }
    DataFolder.writeDurably(passwordFile, password + "\n");
    LOG.info("The embedded database's password was changed to the configured one");
  }

  /**
   * A podvault process killed with SIGKILL leaves its postmaster running on the cluster; the next start
   * would then refuse to use the data folder. Stop that orphan first (only a postmaster of this cluster). The
   * data folder's lock makes sure no live podvault owns it.
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

  private static void writeSecuredHba(Path clusterDir) {
    try {
      Files.write(clusterDir.resolve("pg_hba.conf"), SECURED_HBA, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + clusterDir.resolve("pg_hba.conf") + ": " + e.getMessage(), e);
    }
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
