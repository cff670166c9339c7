package io.podvault.restore;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.CopyOutConnection;
import io.podvault.db.Migrations;
import io.podvault.dump.DumpFormat;
import io.podvault.dump.Dumper;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Restores that fail midway, and restores of older backups")
class RestoreFaultsTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static Vertx vertx;
  private static TestServer server;
  private static Path backup;

  @TempDir
  Path dir;

  @BeforeAll
  static void start(@TempDir Path shared) throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
    try (Connection c = connect(server.db)) {
      PinePodsData.fillLarge(c, 60_000, 120_000);
    }
    backup = shared.resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(result(server.adminToken()), DB_PASSWORD, backup)).statusCode()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static Connection connect(DbCoordinates db) throws Exception {
    return Connections.open(db);
  }

  private static Map<String, String> checksums() throws Exception {
    try (Connection c = connect(server.db)) {
      return PinePodsData.tableChecksums(c, "public");
    }
  }

  /** Polls pg_stat_activity until a backend runs a statement starting with {@code prefix}; returns its pid. */
  private static long backendRunning(Connection c, String prefix) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      try (ResultSet rs = c.createStatement().executeQuery("SELECT pid FROM pg_stat_activity WHERE state = 'active' "
        + "AND datname = current_database() AND query LIKE '" + prefix + "%' LIMIT 1")) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("no backend ran " + prefix);
  }

  private static void terminate(Connection c, long pid) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_terminate_backend(" + pid + ")")) {
      rs.next();
      assertThat(rs.getBoolean(1)).isTrue();
    }
  }

  private static void assertCleanAfterFailure(JsonObject job, Map<String, String> before) throws Exception {
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("failed");
    assertThat(job.getString("error")).startsWith("the restore failed and the data was left as it was before");
    assertThat(checksums()).isEqualTo(before);
    try (Connection c = connect(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_re%'")) {
      rs.next();
      assertThat(rs.getLong(1)).as("no shadow or replaced schema is left").isZero();
    }
    assertThat(Files.list(server.podvault.dataDir().resolve("restore"))).isEmpty();
  }

  @Test
  @DisplayName("a bad row near the end of a large upload is refused with its position, and the data and the folder are as before")
  void badRowNearTheEnd() throws Exception {
    byte[] bytes = Files.readAllBytes(backup);
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int copy = text.indexOf("COPY \"public\".\"UserEpisodeHistory\"");
    int endOfRows = text.indexOf("\n\\.\n", copy);
    int lastRow = text.lastIndexOf('\n', endOfRows - 1) + 1;
    Path damaged = Files.write(dir.resolve("bad-row-near-the-end.sql"),
      (text.substring(0, lastRow) + "1\t" + text.substring(lastRow)).getBytes(StandardCharsets.ISO_8859_1));
    Map<String, String> before = checksums();

    HttpResponse<Buffer> refused = result(server.uploadRestore(result(server.adminToken()), damaged, DB_PASSWORD));
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(400);
    assertThat(TestServer.error(refused)).isEqualTo("the file is damaged at byte " + lastRow + ": row 120000 of table "
      + "UserEpisodeHistory is malformed (it has 6 fields where the table has 5 columns)");
    assertThat((double) lastRow).as("the bad row is near the end").isGreaterThan(bytes.length * 0.5);
    assertThat(checksums()).isEqualTo(before);
    try (var stored = Files.list(server.podvault.dataDir().resolve("restore"))) {
      assertThat(stored.toList()).as("the stored upload is deleted").isEmpty();
    }
  }

  @Test
  @DisplayName("the database connection killed while rows load and the upload still arrives: refused with 503 before the "
    + "body ends, the old data intact, nothing left")
  void connectionKilledWhileUploadArrives() throws Exception {
    String admin = result(server.adminToken());
    Map<String, String> before = checksums();
    byte[] body = multipart(Files.readAllBytes(backup));
    try (Socket socket = new Socket("localhost", server.podvault.httpPort())) {
      socket.setSoTimeout(120_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/data/restore_server HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin
        + "\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: " + body.length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, body.length * 3 / 4);
      out.flush();
      try (Connection c = connect(server.db)) {
        terminate(c, backendRunning(c, "COPY \"podvault_restore_"));
      }
      // The last quarter is never sent: the answer comes while the body still arrives.
      String response = readResponse(socket.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 503").contains("\"code\":\"database_unavailable\"")
        .contains("the database failed while the file was loaded");
    }
    assertThat(checksums()).isEqualTo(before);
    try (Connection c = connect(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_re%'")) {
      rs.next();
      assertThat(rs.getLong(1)).as("no shadow schema is left").isZero();
    }
    assertThat(Files.list(server.podvault.dataDir().resolve("restore"))).as("the stored upload is deleted").isEmpty();
    assertThat(result(server.get("/api/auth/me", admin).send()).statusCode()).as("sessions survive a failed restore")
      .isEqualTo(200);

    HttpResponse<Buffer> again = result(server.uploadRestore(admin, backup, DB_PASSWORD));
    assertThat(again.statusCode()).as("the lock is free again").isEqualTo(202);
    assertThat(server.awaitJob(admin, again.bodyAsJsonObject().getString("job_id")).getString("state")).isEqualTo("succeeded");
  }

  @Test
  @DisplayName("a client that sends Expect: 100-continue hears 409 before it sends the body while another job runs, "
    + "else 100 Continue once the restore holds the lock")
  void expectContinue() throws Exception {
    String admin = result(server.adminToken());
    byte[] file = Files.readAllBytes(backup);
    byte[] body = multipart(file);
    String headers = "POST /api/data/restore_server HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin
      + "\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: " + body.length
      + "\r\nExpect: 100-continue\r\n\r\n";
    try (Connection other = connect(server.db); Socket socket = new Socket("localhost", server.podvault.httpPort())) {
      assertThat(io.podvault.db.JobLock.tryAcquire(other)).isTrue();
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(headers.getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 409");
    }
    try (Socket socket = new Socket("localhost", server.podvault.httpPort())) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(headers.getBytes(StandardCharsets.US_ASCII));
      assertThat(readHead(socket.getInputStream())).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
      socket.getOutputStream().write(body);
      String response = readResponse(socket.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 202");
      String job = new JsonObject(response.substring(response.indexOf("\r\n\r\n") + 4)).getString("job_id");
      assertThat(server.awaitJob(admin, job).getString("state")).isEqualTo("succeeded");
    }
  }

  /** A multipart body with the database password first, as the Settings page sends it, then the file. */
  private static byte[] multipart(byte[] file) {
    byte[] head = ("--xx\r\nContent-Disposition: form-data; name=\"database_pass\"\r\n\r\n" + DB_PASSWORD + "\r\n"
      + "--xx\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"a.sql\"\r\n\r\n")
      .getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\r\n--xx--\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] body = new byte[head.length + file.length + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(file, 0, body, head.length, file.length);
    System.arraycopy(tail, 0, body, head.length + file.length, tail.length);
    return body;
  }

  @Test
  @DisplayName("the database connection killed while rows load after the file has passed: the job fails clearly and the "
    + "old data is intact")
  void connectionKilledAfterTheFilePassed() throws Exception {
    String admin = result(server.adminToken());
    Map<String, String> before = checksums();
    try (Connection holder = connect(server.db); Connection watcher = connect(server.db)) {
      var upload = server.uploadRestore(admin, backup, DB_PASSWORD);
      // A shadow table held by another session: its load waits, while the check goes on to the end of the file.
      String table = shadowTable(watcher, "Episodes");
      holder.setAutoCommit(false);
      holder.createStatement().execute("LOCK TABLE " + table + " IN ACCESS SHARE MODE");
      HttpResponse<Buffer> accepted = result(upload);
      assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
      long waiting;
      try (ResultSet rs = awaitRow(watcher, "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        + "AND datname = current_database()")) {
        waiting = rs.getLong(1);
      }
      terminate(watcher, waiting);
      holder.rollback();
      assertCleanAfterFailure(server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id")), before);
    }
    HttpResponse<Buffer> again = result(server.uploadRestore(admin, backup, DB_PASSWORD));
    assertThat(again.statusCode()).as("the lock is free again").isEqualTo(202);
    assertThat(server.awaitJob(admin, again.bodyAsJsonObject().getString("job_id")).getString("state")).isEqualTo("succeeded");
  }

  /** Reads one HTTP response, headers and body (of its Content-Length). */
  private static String readResponse(java.io.InputStream in) throws Exception {
    String head = readHead(in);
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
    assertThat(length.find()).as(head).isTrue();
    return head + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8);
  }

  /** Reads a response's status line and headers, up to the blank line. */
  private static String readHead(java.io.InputStream in) throws Exception {
    java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
    while (!read.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("the connection closed before the answer's headers ended").isNotNegative();
      read.write(b);
    }
    return read.toString(StandardCharsets.ISO_8859_1);
  }

  /** Waits until a restore's shadow schema holds {@code table}, and returns its qualified name. */
  private static String shadowTable(Connection c, String table) throws Exception {
    try (ResultSet rs = awaitRow(c, "SELECT quote_ident(nspname) || '.' || quote_ident('" + table + "') FROM pg_namespace "
      + "WHERE nspname LIKE 'podvault_restore_%' AND to_regclass(quote_ident(nspname) || '.' || quote_ident('" + table
      + "')) IS NOT NULL")) {
      return rs.getString(1);
    }
  }

  /** Polls {@code sql} until it gives a row, and returns the result set on that row. */
  private static ResultSet awaitRow(Connection c, String sql) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      ResultSet rs = c.createStatement().executeQuery(sql);
      if (rs.next()) {
        return rs;
      }
      rs.close();
      Thread.sleep(5);
    }
    throw new AssertionError("no row from " + sql);
  }

  @Test
  @DisplayName("a swap that waits on a busy table refuses writes with 503 and, killed, leaves the old data intact")
  void connectionKilledDuringSwap() throws Exception {
    String admin = result(server.adminToken());
    Map<String, String> before = checksums();
    try (Connection reader = connect(server.db); Connection watcher = connect(server.db)) {
      reader.setAutoCommit(false);
      reader.createStatement().execute("LOCK TABLE \"Users\" IN ACCESS SHARE MODE");
      var upload = server.uploadRestore(admin, backup, DB_PASSWORD);
      long swap = backendRunning(watcher, "LOCK TABLE \"public\"");
      HttpResponse<Buffer> write = result(server.client.post("/api/keys").bearerTokenAuthentication(admin).send());
      assertThat(write.statusCode()).isEqualTo(503);
      assertThat(write.bodyAsJsonObject().getString("code")).isEqualTo("restore_swapping");
      assertThat(result(server.get("/api/auth/me", admin).send()).statusCode()).as("reads still answer").isEqualTo(200);
      terminate(watcher, swap);
      HttpResponse<Buffer> accepted = result(upload);
      assertCleanAfterFailure(server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id")), before);
      reader.rollback();
    }
    assertThat(result(server.client.post("/api/keys").bearerTokenAuthentication(admin).send()).statusCode())
      .as("writes are served again").isEqualTo(201);
  }

  @Test
  @DisplayName("a backup made at an older schema version restores and is migrated forward")
  void olderSchemaVersion() throws Exception {
    DbCoordinates old = TestPostgres.freshDatabase();
    Migrations.migrateAppSchema(old, Migrations.APP_SCHEMA, MigrationVersion.fromVersion("1"));
    Map<String, String> oldChecksums;
    try (Connection c = connect(old)) {
      PinePodsData.fill(c, 11);
      try (var ps = c.prepareStatement("INSERT INTO \"Users\" (username, hashed_pw, isadmin) VALUES (?, ?, true)")) {
        ps.setString(1, TestServer.ADMIN);
        ps.setString(2, io.podvault.auth.PasswordHasher.hash(TestServer.ADMIN_PASSWORD));
        ps.executeUpdate();
      }
      oldChecksums = PinePodsData.tableChecksums(c, "public");
    }
    Path file = dir.resolve("version-1.sql");
    try (Connection c = connect(old); CopyOutConnection rows = Connections.copyOut(old.withPassword(DB_PASSWORD));
         OutputStream out = Files.newOutputStream(file)) {
      new Dumper(c, rows, DB_PASSWORD, DumpFormat.PODVAULT, new NoProgress()).dump(out);
    }
    assertThat(Files.readString(file)).contains("-- schema_version: \"1\"");

    String admin = result(server.adminToken());
    HttpResponse<Buffer> accepted = result(server.uploadRestore(admin, file, DB_PASSWORD));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    JsonObject job = server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
    assertThat(checksums()).isEqualTo(oldChecksums);
    assertThat(Migrations.currentVersion(server.db)).isEqualTo(Migrations.latestVersion(server.db)).isEqualTo("3");
    try (Connection c = connect(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM podvault." + Migrations.historyTable("public")
           + " WHERE success AND version IN ('2', '3')")) {
      rs.next();
      assertThat(rs.getLong(1)).as("the migrations after version 1 are recorded for the restored data").isEqualTo(2);
    }
    try (Connection c = connect(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
           + "AND indexname = 'APIKeys_apikey_idx'")) {
      rs.next();
      assertThat(rs.getLong(1)).as("versions 2 and 3 ran on the restored data: the index came and went").isZero();
    }
  }

  private static final class NoProgress implements Dumper.Listener {
    public void planned(List<Dumper.TableCount> tables) {
    }

    public void tableStarted(String table, long rowsTotal) {
    }

    public void rowsCopied(String table, long rowsDoneInTable) {
    }

    public void tableFinished(String table) {
    }
  }
}
