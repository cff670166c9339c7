package io.podvault.db;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.auth.PasswordHasher;
import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.podvault.dump.SchemaCheck;
import io.podvault.restore.BackupValidator;
import io.podvault.support.DebianPostgres;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("TLS to the database: every connection podvault opens honours sslmode and sslrootcert")
class DatabaseTlsTest {

  /** A role that signs in with a password sent as it is, which the COPY connection sends over TLS only. */
  private static final String CLEARTEXT_ROLE = "tls_cleartext";
  private static final String CLEARTEXT_PASSWORD = "sent as it is, so over TLS only";
  private static final String OWN_SSL = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
  /** podvault's sessions with their encryption, seen from another session. */
  private static final String PODVAULT_SESSIONS = "SELECT a.pid, a.state, a.query, s.ssl FROM pg_stat_activity a "
    + "JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.application_name = 'podvault'";

  private static DebianPostgres cluster;
  /** The superuser on the test database over TLS without a certificate check (require). */
  private static DbCoordinates db;
  private static Vertx vertx;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(DebianPostgres.installed(), "skipped: the TLS test needs Debian's PostgreSQL 15 server binaries in "
      + DebianPostgres.BIN + " (apt-get install postgresql-15, which .ci/run does)");
    cluster = DebianPostgres.withTls(List.of("hostssl all " + CLEARTEXT_ROLE + " 127.0.0.1/32 password"));
    db = cluster.admin(DebianPostgres.DATABASE);
    Migrations.migrate(db, SchemaCheck.adoption(db));
    try (Connection c = Connections.open(db); Statement s = c.createStatement()) {
      // podvault creates its administrator only while none exists, and the bulk data brings one, so the test
      // server's is written first (as BenchmarkData does).
      s.execute("INSERT INTO \"Users\" (fullname, username, hashed_pw, isadmin) VALUES ('Administrator', "
        + Sql.literal(TestServer.ADMIN) + ", " + Sql.literal(PasswordHasher.hash(TestServer.ADMIN_PASSWORD)) + ", true)");
      // Large enough that the backup is still copying rows while the test looks at its sessions.
      PinePodsData.fillLarge(c, 20_000, 200_000);
      s.execute("CREATE ROLE " + CLEARTEXT_ROLE + " LOGIN PASSWORD " + Sql.literal(CLEARTEXT_PASSWORD));
    }
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      result(vertx.close());
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String rootCert() {
    return cluster.serverCertificate().toString();
  }

  @Test
  @DisplayName("the test cluster itself refuses a plain connection, so an encrypted session below is TLS's doing")
  void plainConnectionRefused() {
    assertThatThrownBy(() -> Connections.open(db.withSsl(SslMode.DISABLE, null)))
      .isInstanceOf(SQLException.class).hasMessageContaining("no encryption");
  }

  @ParameterizedTest(name = "sslmode {0}")
  @EnumSource(value = SslMode.class, names = {"PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL"})
  @DisplayName("under each TLS mode, each client's own session is encrypted: JDBC, Flyway's, the reactive pool's, COPY's")
  void everyClientEncrypts(SslMode mode) throws Exception {
    DbCoordinates coordinates = db.withSsl(mode, mode.requiresTls() && mode != SslMode.REQUIRE ? rootCert() : null);
    assertThat(ownSsl(coordinates)).isEqualTo(Map.of("jdbc", true, "flyway", true, "reactive", true, "copy", true));
  }

  @Test
  @DisplayName("require with a root certificate checks the server's certificate against it, as libpq does")
  void requireWithRootCertificateChecks() throws Exception {
    assertThat(ownSsl(db.withSsl(SslMode.REQUIRE, rootCert())))
      .isEqualTo(Map.of("jdbc", true, "flyway", true, "reactive", true, "copy", true));
    Map<String, String> refused = refusals(db.withSsl(SslMode.REQUIRE, cluster.otherCertificate().toString()));
    assertThat(refused).containsOnlyKeys("jdbc", "flyway", "reactive", "copy");
    assertThat(refused.get("jdbc")).contains(cluster.otherCertificate().toString());
    assertThat(refused.get("copy")).contains(cluster.otherCertificate().toString());
  }

  @ParameterizedTest(name = "sslmode {0}")
  @EnumSource(value = SslMode.class, names = {"REQUIRE", "VERIFY_FULL"})
  @DisplayName("a backup through the API: every podvault session is encrypted while it runs, and the file is whole and valid")
  void backupOverTls(SslMode mode) throws Exception {
    DbCoordinates coordinates = db.withSsl(mode, mode == SslMode.VERIFY_FULL ? rootCert() : null);
    TestServer server = result(TestServer.start(vertx, coordinates, Map.of()));
    HttpClient http = vertx.createHttpClient();
    try (Connection observer = observer()) {
      String token = result(server.adminToken());
      // Between jobs podvault keeps its request pool (signing in just used it) and the next backup's connections.
      Set<Integer> pool = sessions(observer).stream().map(Session::pid).collect(Collectors.toSet());
      assertThat(pool).isNotEmpty();

      HttpClientResponse response = result(http.request(new RequestOptions().setMethod(HttpMethod.POST)
          .setHost("localhost").setPort(server.podvault.httpPort()).setURI("/api/data/backup_server")
          .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json"))
        .compose(request -> request.send(new JsonObject().put("database_pass", DebianPostgres.PASSWORD).encode())
          .onSuccess(HttpClientResponse::pause)));
      assertThat(response.statusCode()).isEqualTo(200);
      // The download is paused, so the backup soon waits with its snapshot held open, and its COPY connections
      // with a COPY under way or, when the readers' buffers hold the rest of a small database, their last one done.
      Predicate<Session> copy = s -> List.of("active", "idle in transaction").contains(s.state())
        && s.query().startsWith("COPY ");
      Predicate<Session> snapshot = s -> "idle in transaction".equals(s.state()) && !s.query().startsWith("COPY ");
      List<Session> during = awaitSessions(observer, all -> all.stream().anyMatch(copy) && all.stream().anyMatch(snapshot));
      assertThat(during).as("podvault's sessions mid-backup").allMatch(Session::ssl, "encrypted")
        .anyMatch(copy, "the COPY connection")
        .anyMatch(snapshot, "the JDBC connection holding the snapshot")
        .anyMatch(s -> pool.contains(s.pid()), "the reactive pool's");

      Path file = dir.resolve("server_backup.sql");
      AsyncFile out = result(vertx.fileSystem().open(file.toString(), new OpenOptions().setTruncateExisting(true)));
      result(response.pipeTo(out));
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      assertThat(lines.get(lines.size() - 1)).startsWith("-- podvault trailer: ");
      new BackupValidator(coordinates, BackupValidator.Progress.NONE).validate(file, DebianPostgres.PASSWORD);
    } finally {
      result(http.close());
      result(server.stop());
    }
  }

  @Test
  @DisplayName("verify-full with a root certificate that did not sign the server's: every client and the start refuse, naming the file")
  void wrongRootCertificate() {
    String other = cluster.otherCertificate().toString();
    DbCoordinates wrongRoot = db.withSsl(SslMode.VERIFY_FULL, other);
    Map<String, String> refused = refusals(wrongRoot);
    assertThat(refused).containsOnlyKeys("jdbc", "flyway", "reactive", "copy");
    for (String client : List.of("jdbc", "flyway", "copy")) {
      assertThat(refused.get(client)).as(client).contains("TLS with the database failed", other,
        "holds the certificate of the authority that signed the database server's certificate");
    }
    assertThatThrownBy(() -> result(TestServer.start(vertx, wrongRoot, Map.of())))
      .hasMessageContaining("TLS with the database failed").hasMessageContaining(other);
  }

  @Test
  @DisplayName("verify-full checks the host name: to 127.0.0.1, which the certificate does not name, every client refuses; verify-ca accepts")
  void hostNameChecked() throws Exception {
    DbCoordinates byAddress = new DbCoordinates("127.0.0.1", db.port(), db.database(), db.user(), db.password());
    Map<String, String> refused = refusals(byAddress.withSsl(SslMode.VERIFY_FULL, rootCert()));
    assertThat(refused).containsOnlyKeys("jdbc", "flyway", "reactive", "copy");
    assertThat(refused.get("jdbc")).contains("127.0.0.1");
    assertThat(refused.get("copy")).contains("127.0.0.1");
    assertThat(ownSsl(byAddress.withSsl(SslMode.VERIFY_CA, rootCert())))
      .isEqualTo(Map.of("jdbc", true, "flyway", true, "reactive", true, "copy", true));
  }

  @Test
  @DisplayName("require against a server without TLS (the embedded test cluster): every client and the start refuse")
  void requireWithoutServerTls() {
    DbCoordinates plainServer = TestPostgres.freshDatabase().withSsl(SslMode.REQUIRE, null);
    Map<String, String> refused = refusals(plainServer);
    assertThat(refused).containsOnlyKeys("jdbc", "flyway", "reactive", "copy");
    assertThat(refused.get("copy")).contains("does not offer TLS", "sslmode=require");
    assertThatThrownBy(() -> result(TestServer.start(vertx, plainServer, Map.of()))).hasMessageContaining("SSL");
  }

  @Test
  @DisplayName("the COPY connection signs in with a password sent as it is over TLS (over plain TCP it refuses: CopyOutConnectionTest)")
  void cleartextPasswordOverTls() throws Exception {
    DbCoordinates role = new DbCoordinates("localhost", db.port(), db.database(), CLEARTEXT_ROLE, CLEARTEXT_PASSWORD)
      .withSsl(SslMode.REQUIRE, null);
    try (CopyOutConnection rows = Connections.copyOut(role)) {
      assertThat(copyText(rows, "COPY (SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) TO STDOUT"))
        .isEqualTo(CLEARTEXT_ROLE + "\tt\n");
    }
  }

  @Test
  @DisplayName("close() from another thread stops a COPY over TLS")
  void closedMidCopyOverTls() throws Exception {
    CopyOutConnection rows = Connections.copyOut(db.withSsl(SslMode.VERIFY_FULL, rootCert()));
    // The server notices the closed socket only when it next flushes rows; until then its session must not pass
    // for one of podvault's, and the test ends it.
    rows.execute("SET application_name = 'tls_close_victim'");
    CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
      try {
        rows.copyOut("COPY (SELECT i, pg_sleep(0.05) FROM generate_series(1, 2000) i) TO STDOUT", new ByteArrayOutputStream(),
          1, n -> { });
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(300);
    rows.close();
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(java.io.IOException.class);
    TestPostgres.execute(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tls_close_victim'");
  }

  // --- helpers -----------------------------------------------------------------------------------------

  /** Whether each client's own session is encrypted, as the server sees it. */
  private static Map<String, Boolean> ownSsl(DbCoordinates coordinates) throws Exception {
    Map<String, Boolean> ssl = new LinkedHashMap<>();
    try (Connection c = Connections.open(coordinates)) {
      ssl.put("jdbc", ownSsl(c));
    }
    try (Connection c = Connections.dataSource(coordinates).getConnection()) {
      ssl.put("flyway", ownSsl(c));
    }
    ssl.put("reactive", reactiveSsl(coordinates));
    try (CopyOutConnection rows = Connections.copyOut(coordinates)) {
      ssl.put("copy", copyText(rows, "COPY (" + OWN_SSL + ") TO STDOUT").equals("t\n"));
    }
    return ssl;
  }

  private static boolean ownSsl(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(OWN_SSL)) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static boolean reactiveSsl(DbCoordinates coordinates) {
    Pool pool = PgBuilder.pool().connectingTo(Connections.reactive(coordinates)).using(vertx).build();
    try {
      return result(pool.query(OWN_SSL).execute()).iterator().next().getBoolean(0);
    } finally {
      result(pool.close());
    }
  }

  /** Each client's failure message; a client that connects fails the test. */
  private static Map<String, String> refusals(DbCoordinates coordinates) {
    Map<String, Work> clients = new LinkedHashMap<>();
    clients.put("jdbc", () -> Connections.open(coordinates).close());
    clients.put("flyway", () -> Connections.dataSource(coordinates).getConnection().close());
    clients.put("reactive", () -> reactiveSsl(coordinates));
    clients.put("copy", () -> Connections.copyOut(coordinates).close());
    Map<String, String> refused = new LinkedHashMap<>();
    clients.forEach((client, work) -> refused.put(client, failure(client, work)));
    return refused;
  }

  private interface Work {
    void run() throws Exception;
  }

  private static String failure(String client, Work work) {
    try {
      work.run();
    } catch (Exception e) {
      return String.valueOf(e.getMessage());
    }
    throw new AssertionError("the " + client + " connection was made, and should have been refused");
  }

  private static String copyText(CopyOutConnection rows, String copy) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    rows.copyOut(copy, out, 1, n -> { });
    return out.toString(StandardCharsets.UTF_8);
  }

  private record Session(int pid, String state, String query, boolean ssl) {
  }

  /** A superuser session that sees every other one, named so that it is not taken for podvault's. */
  private static Connection observer() throws SQLException {
    Connection c = Connections.open(db);
    try (Statement s = c.createStatement()) {
      s.execute("SET application_name = 'tls_test_observer'");
    }
    return c;
  }

  private static List<Session> sessions(Connection observer) throws SQLException {
    List<Session> sessions = new ArrayList<>();
    try (Statement s = observer.createStatement(); ResultSet rs = s.executeQuery(PODVAULT_SESSIONS)) {
      while (rs.next()) {
        sessions.add(new Session(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getBoolean(4)));
      }
    }
    return sessions;
  }

  /** Polls podvault's sessions until {@code seen} holds, for up to a minute, and returns them. */
  private static List<Session> awaitSessions(Connection observer, Predicate<List<Session>> seen) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    List<Session> sessions = sessions(observer);
    while (!seen.test(sessions)) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("podvault's sessions never showed a COPY beside its snapshot: " + sessions);
      }
      Thread.sleep(50);
      sessions = sessions(observer);
    }
    return sessions;
  }
}
