package io.podvault.support;

import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PostgreSQL 15 cluster of Debian's server binaries, for what the embedded test cluster (a newer
 * PostgreSQL, without TLS) cannot do: TLS, and Debian's pg_dump 15, which refuses newer servers.
 *
 * <p>{@link #withTls} takes TLS connections only: {@code ssl = on} with a self-signed certificate for
 * {@code localhost} (and no other name, so that {@code verify-full} to 127.0.0.1 fails its host check), and a
 * pg_hba.conf of {@code hostssl} lines. {@link #plain} takes plain TCP connections. PostgreSQL refuses to run as
 * root, so as root its tools run as user postgres.
 */
public final class DebianPostgres implements AutoCloseable {

  public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
  public static final String SUPERUSER = "debian_admin";
  public static final String PASSWORD = "debian-cluster-password";
  public static final String DATABASE = "podvault";
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private final Path dir;
  private final int port;
  private final boolean tls;
  private volatile boolean stopped;

  private DebianPostgres(Path dir, int port, boolean tls) {
    this.dir = dir;
    this.port = port;
    this.tls = tls;
  }

  public static boolean installed() {
    return Files.isExecutable(BIN.resolve("initdb")) && Files.isExecutable(BIN.resolve("pg_ctl"));
  }

  /**
   * Creates and starts a TLS-only cluster; the superuser {@value #SUPERUSER} owns database {@value #DATABASE}.
   * {@code hba} lines come before the one that lets every role in with scram-sha-256 over TLS.
   */
  public static DebianPostgres withTls(List<String> hba) throws IOException, InterruptedException {
    return start(true, hba);
  }

  /** Creates and starts a cluster of plain TCP connections with scram-sha-256; otherwise as {@link #withTls}. */
  public static DebianPostgres plain() throws IOException, InterruptedException {
    return start(false, List.of());
  }

  private static DebianPostgres start(boolean tls, List<String> hba) throws IOException, InterruptedException {
    Path dir = TempDirs.createKept("podvault-debian-pg");
    DebianPostgres cluster = new DebianPostgres(dir, freePort(), tls);
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
    try {
      cluster.create(hba);
      cluster.pgCtl("start", "-l", dir.resolve("server.log").toString(), "-o",
        "-c port=" + cluster.port + " -c listen_addresses=localhost -c unix_socket_directories=" + dir);
      TestPostgres.execute(cluster.admin("postgres"), "CREATE DATABASE " + DATABASE);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void create(List<String> hba) throws IOException, InterruptedException {
    Files.writeString(dir.resolve("password"), PASSWORD);
    if (tls) {
      openssl(serverCertificate(), "-keyout", dir.resolve("server.key").toString(), "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost");
      openssl(otherCertificate(), "-keyout", dir.resolve("other.key").toString(), "-subj", "/CN=someone else's root");
    }
    if (ROOT) {
      run(List.of("chown", "-R", "postgres:", dir.toString()));
    }
    asPostgres(BIN.resolve("initdb").toString(), "-D", data().toString(), "-U", SUPERUSER,
      "--pwfile=" + dir.resolve("password"), "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
      "--locale=C.UTF-8");
    if (tls) {
      Files.writeString(data().resolve("postgresql.conf"), "ssl = on\nssl_cert_file = '" + serverCertificate()
        + "'\nssl_key_file = '" + dir.resolve("server.key") + "'\n", java.nio.file.StandardOpenOption.APPEND);
    }
    String connection = tls ? "hostssl" : "host";
    List<String> lines = new ArrayList<>(hba);
    lines.add(connection + " all all 127.0.0.1/32 scram-sha-256");
    lines.add(connection + " all all ::1/128 scram-sha-256");
    Files.write(data().resolve("pg_hba.conf"), lines);
  }

  /** The server's self-signed certificate: the root certificate that verifies it. */
  public Path serverCertificate() {
    return dir.resolve("server.crt");
  }

  /** A root certificate that signed nothing the server shows. */
  public Path otherCertificate() {
    return dir.resolve("other.crt");
  }

  /**
   * The superuser on {@code database}: over TLS (require) on a TLS cluster, where {@link DbCoordinates#withSsl}
   * picks another mode, and over plain TCP otherwise.
   */
  public DbCoordinates admin(String database) {
    return new DbCoordinates("localhost", port, database, SUPERUSER, PASSWORD)
      .withSsl(tls ? SslMode.REQUIRE : SslMode.DISABLE, null);
  }

  /**
   * Runs Debian's {@code pg_dump} 15 on {@code database} with {@code options} (plain format), writing {@code out},
   * as PinePods makes its backup files.
   */
  public Path pgDump(String database, Path out, String... options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(BIN.resolve("pg_dump").toString(), "-h", "localhost", "-p",
      Integer.toString(port), "-U", SUPERUSER, "-d", database, "-f", out.toString()));
    command.addAll(List.of(options));
    run(command, PASSWORD);
    return out;
  }

  /** Stops the cluster and deletes its folder; safe to call twice. */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      if (Files.exists(data().resolve("postmaster.pid"))) {
        pgCtl("stop", "-m", "fast");
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("the Debian test cluster did not stop: " + e);
    }
    TempDirs.deleteQuietly(dir);
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void pgCtl(String action, String... options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(BIN.resolve("pg_ctl").toString(), action, "-D", data().toString(),
      "-w", "-t", "60"));
    command.addAll(List.of(options));
    asPostgres(command.toArray(String[]::new));
  }

  private static void openssl(Path certificate, String... options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
      "-days", "2", "-out", certificate.toString()));
    command.addAll(List.of(options));
    run(command);
  }

  private static void asPostgres(String... command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (ROOT) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(List.of(command));
    run(full);
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    run(command, null);
  }

  private static void run(List<String> command, String password) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (password != null) {
      builder.environment().put("PGPASSWORD", password);
    }
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException(command.get(0) + " did not finish: " + command);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue() + ":\n"
        + new String(output, StandardCharsets.UTF_8));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
