package io.podvault.dump;

import static io.podvault.support.Await.result;
import static io.podvault.support.Await.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.restore.BackupValidator;
import io.podvault.restore.InvalidBackupException;
import io.podvault.support.PinePodsData;
import io.podvault.support.Psql;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Server backup: POST /api/data/backup_server")
class BackupApiTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static Vertx vertx;
  private static TestServer server;
  private static String admin;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.startWithPinePodsData(vertx, 42));
    admin = result(server.adminToken());
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static Connection connect(DbCoordinates db) throws Exception {
    return Connections.open(db);
  }

  @Test
  @DisplayName("the download loads into an empty database with stock psql and gives back every row, sequence, constraint and index")
  void roundTripThroughPsql() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    HttpResponse<Void> response = result(server.downloadBackup(admin, DB_PASSWORD, file));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Disposition")).isEqualTo("attachment; filename=\"server_backup.sql\"");
    new BackupValidator(server.db, BackupValidator.Progress.NONE).validate(file, DB_PASSWORD);

    DbCoordinates empty = TestPostgres.freshDatabase();
    Psql.Result load = Psql.load(empty, file);
    assertThat(load.exitCode()).as(load.output()).isZero();
    try (Connection original = connect(server.db); Connection restored = connect(empty)) {
      assertThat(PinePodsData.tableChecksums(restored, "public")).isEqualTo(PinePodsData.tableChecksums(original, "public"));
      assertThat(PinePodsData.tableChecksums(original, "public")).hasSize(49);
      assertThat(PinePodsData.sequenceStates(restored, "public")).isEqualTo(PinePodsData.sequenceStates(original, "public"));
      assertThat(comparable(PinePodsData.schemaFacts(restored, "public")))
        .isEqualTo(comparable(PinePodsData.schemaFacts(original, "public")));
    }
  }

  private static final java.util.regex.Pattern VARCHAR_ARRAY =
    java.util.regex.Pattern.compile("ANY \\(\\(ARRAY\\[(.*?)\\]\\)::text\\[\\]\\)");

  /**
   * PostgreSQL prints {@code x IN ('a', 'b')} on a varchar column as {@code ANY ((ARRAY['a'::character varying,
   * ...])::text[])}, and reads that text back as {@code ANY (ARRAY[('a'::character varying)::text, ...])}: the
   * same check, printed differently. pg_dump's output drifts the same way; both forms are made one here.
   */
  private static java.util.List<String> comparable(java.util.List<String> facts) {
    return facts.stream().map(fact -> VARCHAR_ARRAY.matcher(fact).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
      "ANY (ARRAY[" + String.join(", ", java.util.Arrays.stream(m.group(1).split(", "))
        .map(item -> "(" + item + ")::text").toList()) + "])"))).toList();
  }

  @Test
  @DisplayName("the header names format, schema and server versions, creation time, key derivation and every table's rows")
  void header() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    result(server.downloadBackup(admin, DB_PASSWORD, file));
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text).startsWith("-- podvault server backup\n-- format_version: 1\n-- schema_version: \"");
    assertThat(text).contains("-- postgresql_version: \"17.", "-- created_at: \"", "-- kdf: {\"algorithm\":\"argon2id\"");
    long users;
    try (Connection c = connect(server.db); var rs = c.createStatement().executeQuery("SELECT count(*) FROM \"Users\"")) {
      rs.next();
      users = rs.getLong(1);
    }
    assertThat(text).contains("-- table: {\"name\":\"Users\",\"rows\":" + users + "}");
    String kdf = text.lines().filter(l -> l.startsWith("-- kdf: ")).findFirst().orElseThrow().substring(8);
    try (Connection c = connect(server.db);
         var rs = c.createStatement().executeQuery("SELECT encode(salt, 'base64') FROM podvault.backup_seal")) {
      assertThat(rs.next()).as("the database has its backups' salt").isTrue();
      assertThat(new JsonObject(kdf).getString("salt")).as("sealed with the database's salt, which every process shares")
        .isEqualTo(rs.getString(1));
    }
    assertThat(text.lines().filter(l -> l.startsWith("-- table: ")).count()).isEqualTo(49);
    assertThat(text).doesNotContain("podvault_schema_history", "signing_key", "podvault.sessions");
    assertThat(text.lines().reduce((a, b) -> b).orElseThrow()).startsWith("-- podvault trailer: {\"sha256\":\"");
  }

  @Test
  @DisplayName("the next backup's connections wait open and serve it; ended by the database, the backup opens its own")
  void connectionsOpenedBeforehand() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(admin, DB_PASSWORD, file)).statusCode()).isEqualTo(200);
    int waiting = awaitWaitingSnapshot();
    assertThat(result(server.downloadBackup(admin, DB_PASSWORD, file)).statusCode()).isEqualTo(200);
    // The backup closed it before its response ended; the server process that served it may take a moment to go.
    until("the waiting connection, which served the backup, to be closed", () -> !sessionAlive(waiting));

    int next = awaitWaitingSnapshot();
    assertThat(next).isNotEqualTo(waiting);
    // What a restart of the database or its idle_session_timeout does to connections that wait.
    TestPostgres.execute(server.db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      + io.podvault.db.Sql.literal(server.db.database()) + " AND application_name = 'podvault' AND state = 'idle' "
      + "AND query IN ('', 'ROLLBACK')");
    assertThat(result(server.downloadBackup(admin, DB_PASSWORD, file)).statusCode()).isEqualTo(200);
    assertThat(Files.readString(file, StandardCharsets.UTF_8).lines().reduce((a, b) -> b).orElseThrow())
      .startsWith("-- podvault trailer: ");
  }

  /** The pid of the snapshot connection kept for the next backup: idle after the catalog read it rolled back. */
  private static int awaitWaitingSnapshot() throws Exception {
    String sql = "SELECT pid FROM pg_stat_activity WHERE datname = ? AND application_name = 'podvault' "
      + "AND state = 'idle' AND query = 'ROLLBACK'";
    for (int i = 0; i < 200; i++) {
      try (Connection c = connect(server.db); var ps = c.prepareStatement(sql)) {
        ps.setString(1, server.db.database());
        try (var rs = ps.executeQuery()) {
          if (rs.next()) {
            return rs.getInt(1);
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no connection waits for the next backup");
  }

  private static boolean sessionAlive(int pid) {
    try (Connection c = connect(server.db); var ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ?")) {
      ps.setInt(1, pid);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) > 0;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("a changed byte fails the SHA-256 and the HMAC; another password gives another HMAC")
  void trailerDetectsChanges() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    result(server.downloadBackup(admin, DB_PASSWORD, file));
    byte[] bytes = Files.readAllBytes(file);
    String text = new String(bytes, StandardCharsets.UTF_8);
    String trailerLine = text.substring(text.lastIndexOf("-- podvault trailer: "));
    JsonObject trailer = new JsonObject(trailerLine.substring("-- podvault trailer: ".length()).trim());
    int trailerAt = bytes.length - trailerLine.getBytes(StandardCharsets.UTF_8).length;
    byte[] content = java.util.Arrays.copyOf(bytes, trailerAt);
    byte[] digest = Seal.sha256().digest(content);
    assertThat(BackupFormat.HEX.formatHex(digest)).isEqualTo(trailer.getString("sha256"));

    String kdf = text.lines().filter(l -> l.startsWith("-- kdf: ")).findFirst().orElseThrow().substring(8);
    Seal seal = Seal.fromJson(new JsonObject(kdf));
    assertThat(BackupFormat.HEX.formatHex(Seal.hmac(seal.key(DB_PASSWORD), digest))).isEqualTo(trailer.getString("hmac_sha256"));
    assertThat(BackupFormat.HEX.formatHex(Seal.hmac(seal.key(DB_PASSWORD + "x"), digest))).isNotEqualTo(trailer.getString("hmac_sha256"));

    int copyAt = indexOf(content, "COPY \"public\".\"Episodes\"");
    int[] positions = {5, indexOf(content, "CREATE TABLE") + 3, copyAt + 200, trailerAt - 3};
    for (int position : positions) {
      byte[] changed = content.clone();
      changed[position] ^= 0x01;
      byte[] changedDigest = Seal.sha256().digest(changed);
      assertThat(BackupFormat.HEX.formatHex(changedDigest)).isNotEqualTo(trailer.getString("sha256"));
      assertThat(BackupFormat.HEX.formatHex(Seal.hmac(seal.key(DB_PASSWORD), changedDigest)))
        .isNotEqualTo(trailer.getString("hmac_sha256"));
      Path damaged = dir.resolve("damaged-" + position + ".sql");
      Files.write(damaged, changed);
      Files.write(damaged, trailerLine.getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
      assertThatThrownBy(() -> new BackupValidator(server.db, BackupValidator.Progress.NONE).validate(damaged, DB_PASSWORD))
        .as("byte %d changed", position)
        .isInstanceOf(InvalidBackupException.class)
        .hasMessageMatching(position == 5 ? "this is not a podvault backup.*" : "the file is damaged.*");
    }
  }

  private static int indexOf(byte[] haystack, String needle) {
    int at = new String(haystack, StandardCharsets.ISO_8859_1).indexOf(needle);
    assertThat(at).as(needle).isNotNegative();
    return at;
  }

  @Test
  @DisplayName("a wrong database password gets 403 with the JSON error and no dump")
  void wrongPassword() {
    HttpResponse<Buffer> response = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(admin)
      .sendJsonObject(new JsonObject().put("database_pass", "not-the-database-password")));
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.getHeader("Content-Disposition")).isNull();
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("wrong_database_password");
    assertThat(response.bodyAsJsonObject().getString("error")).contains("database password is wrong");
  }

  @Test
  @DisplayName("with a database that trusts podvault's role without a password, only the configured password opens a backup")
  void trustedRoleStillNeedsThePassword() throws Exception {
    DbCoordinates cluster = TestPostgres.cluster();
    TestPostgres.execute(cluster, "CREATE ROLE backup_trusted LOGIN");
    DbCoordinates trusted = TestPostgres.freshDatabase();
    TestPostgres.execute(trusted, "ALTER DATABASE " + trusted.database() + " OWNER TO backup_trusted");
    TestPostgres.execute(trusted, "ALTER SCHEMA public OWNER TO backup_trusted");
    DbCoordinates asRole = new DbCoordinates(trusted.host(), trusted.port(), trusted.database(), "backup_trusted",
      "the-configured-password");
    try (AutoCloseable hba = TestPostgres.hbaRules(java.util.List.of(
      "host all backup_trusted 127.0.0.1/32 trust", "host all backup_trusted ::1/128 trust"))) {
      // A Vert.x of its own: job requests go to whichever job verticle of the event bus takes them.
      Vertx own = Vertx.vertx();
      TestServer trustServer = result(TestServer.start(own, asRole, java.util.Map.of()));
      try {
        String token = result(trustServer.adminToken());
        HttpResponse<Buffer> guessed = result(trustServer.client.post("/api/data/backup_server").bearerTokenAuthentication(token)
          .sendJsonObject(new JsonObject().put("database_pass", "any string at all")));
        assertThat(guessed.statusCode()).isEqualTo(403);
        assertThat(guessed.bodyAsJsonObject().getString("code")).isEqualTo("wrong_database_password");
        Path file = dir.resolve("trusted.sql");
        assertThat(result(trustServer.downloadBackup(token, "the-configured-password", file)).statusCode()).isEqualTo(200);
        new BackupValidator(asRole, BackupValidator.Progress.NONE).validate(file, "the-configured-password");
      } finally {
        result(trustServer.stop());
        result(own.close());
      }
    }
  }

  @Test
  @DisplayName("a normal user gets 403, an anonymous caller 401, a missing password 400")
  void onlyAdministrators() {
    String user = result(server.userToken(admin, "backup-user", "backup-user-password", false));
    HttpResponse<Buffer> asUser = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(user)
      .sendJsonObject(new JsonObject().put("database_pass", DB_PASSWORD)));
    assertThat(asUser.statusCode()).isEqualTo(403);
    assertThat(asUser.getHeader("Content-Disposition")).isNull();
    HttpResponse<Buffer> anonymous = result(server.client.post("/api/data/backup_server")
      .sendJsonObject(new JsonObject().put("database_pass", DB_PASSWORD)));
    assertThat(anonymous.statusCode()).isEqualTo(401);
    HttpResponse<Buffer> missing = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(admin)
      .sendJsonObject(new JsonObject()));
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(TestServer.error(missing)).contains("database_pass");
  }

  @Test
  @DisplayName("the job record shows the finished backup with every table and row done")
  void jobRecord() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    HttpResponse<Void> response = result(server.downloadBackup(admin, DB_PASSWORD, file));
    String jobId = response.getHeader("X-Podvault-Job");
    JsonObject job = result(server.get("/api/data/jobs/" + jobId, admin).send()).bodyAsJsonObject();
    assertThat(job.getString("state")).isEqualTo("succeeded");
    assertThat(job.getString("kind")).isEqualTo("backup");
    assertThat(job.getString("started_by")).isEqualTo("admin");
    assertThat(job.getInteger("tables_done")).isEqualTo(49).isEqualTo(job.getInteger("tables_total"));
    assertThat(job.getLong("rows_done")).isEqualTo(job.getLong("rows_total")).isPositive();
    assertThat(result(server.get("/api/data/jobs/" + java.util.UUID.randomUUID(), admin).send()).statusCode()).isEqualTo(404);
    assertThat(result(server.get("/api/data/jobs/not-a-job", admin).send()).statusCode()).isEqualTo(404);
  }
}
