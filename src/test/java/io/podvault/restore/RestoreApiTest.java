package io.podvault.restore;

import static io.podvault.support.Await.result;
import static io.podvault.support.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.support.PinePodsData;
import io.podvault.support.Sealing;
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
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Server restore: POST /api/data/restore_server")
class RestoreApiTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static Vertx vertx;
  private static TestServer server;
  private static Path backup;
  private static Map<String, String> checksumsAtBackup;
  private static Map<String, String> sequencesAtBackup;
  private static String apiKeyAtBackup;

  @TempDir
  Path dir;

  @BeforeAll
  static void start(@TempDir Path shared) throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx, TestPostgres.freshDatabase(),
      Map.of("max_upload_bytes", 64L * 1024 * 1024)));
    String admin = result(server.adminToken());
    result(server.userToken(admin, "restored-user", "restored-user-password", false));
    apiKeyAtBackup = result(server.client.post("/api/keys").bearerTokenAuthentication(admin).send())
      .bodyAsJsonObject().getString("key");
    try (Connection c = connect()) {
      PinePodsData.fill(c, 7);
    }
    backup = shared.resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(admin, DB_PASSWORD, backup)).statusCode()).isEqualTo(200);
    try (Connection c = connect()) {
      checksumsAtBackup = PinePodsData.tableChecksums(c, "public");
      sequencesAtBackup = PinePodsData.sequenceStates(c, "public");
    }
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static Connection connect() throws Exception {
    return Connections.open(server.db);
  }

  private static Map<String, String> checksums() throws Exception {
    try (Connection c = connect()) {
      return PinePodsData.tableChecksums(c, "public");
    }
  }

  private static void execute(String sql) throws Exception {
    try (Connection c = connect()) {
      c.createStatement().execute(sql);
    }
  }

  private String admin() {
    return result(server.adminToken());
  }

  private HttpResponse<Buffer> upload(Path file, String password) {
    return result(server.uploadRestore(admin(), file, password));
  }

  /** Uploads a file that must be refused, and proves the database did not change. */
  private HttpResponse<Buffer> refused(Path file, String password, int status) throws Exception {
    Map<String, String> before = checksums();
    HttpResponse<Buffer> response = upload(file, password);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(checksums()).isEqualTo(before);
    assertThat(Files.list(server.podvault.dataDir().resolve("restore"))).as("the stored upload is deleted").isEmpty();
    return response;
  }

  @Test
  @DisplayName("a restore after changes and deletions gives back the data of the backup, and everyone signs in again")
  void restoreGivesBackTheBackup() throws Exception {
    String oldToken = admin();
    String userToken = result(server.login("restored-user", "restored-user-password"));
    execute("DELETE FROM \"UserEpisodeHistory\"");
    execute("UPDATE \"Episodes\" SET episodetitle = 'changed after the backup'");
    execute("DELETE FROM \"APIKeys\"");
    execute("SELECT setval('\"Episodes_episodeid_seq\"', 999999)");
    assertThat(checksums()).isNotEqualTo(checksumsAtBackup);

    HttpResponse<Buffer> accepted = upload(backup, DB_PASSWORD);
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    JsonObject job = server.awaitJob(oldToken, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
    assertThat(job.getString("kind")).isEqualTo("restore");

    assertThat(checksums()).isEqualTo(checksumsAtBackup);
    try (Connection c = connect()) {
      assertThat(PinePodsData.sequenceStates(c, "public")).isEqualTo(sequencesAtBackup);
    }
    assertThat(result(server.get("/api/auth/me", oldToken).send()).statusCode()).isEqualTo(401);
    assertThat(result(server.get("/api/auth/me", userToken).send()).statusCode()).isEqualTo(401);
    String again = result(server.login("restored-user", "restored-user-password"));
    assertThat(result(server.get("/api/auth/me", again).send()).statusCode()).isEqualTo(200);
    assertThat(result(server.client.get("/api/auth/me").putHeader("Api-Key", apiKeyAtBackup).send()).statusCode())
      .as("an API key from the backup works again").isEqualTo(200);
    assertThat(result(server.client.get("/api/data/restore_status").send()).bodyAsJsonObject()
      .getBoolean("restore_in_progress")).isFalse();
    until("the replaced data to be dropped after the restore", () -> {
      try (Connection c = connect(); ResultSet rs = c.createStatement()
        .executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_re%'")) {
        rs.next();
        return rs.getLong(1) == 0;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  @DisplayName("a flipped byte, a cut file, an empty file and a plain SQL script are refused with 400 and change nothing")
  void damagedFilesAreRefused() throws Exception {
    byte[] bytes = Files.readAllBytes(backup);
    int rowsAt = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("COPY \"public\".\"Episodes\"") + 300;
    byte[] flipped = bytes.clone();
    flipped[rowsAt] ^= 0x20;
    assertThat(TestServer.error(refused(write("flipped.sql", flipped), DB_PASSWORD, 400))).contains("damaged");

    for (int length : new int[] {bytes.length / 10, bytes.length / 2, rowsAt, bytes.length - 10}) {
      String error = TestServer.error(refused(write("cut.sql", Arrays.copyOf(bytes, length)), DB_PASSWORD, 400));
      assertThat(error).as("cut at %d", length).contains("cut short");
    }
    assertThat(TestServer.error(refused(write("empty.sql", new byte[0]), DB_PASSWORD, 400))).contains("empty");
    Path script = write("drop.sql", "DROP TABLE \"Users\" CASCADE;\n".getBytes(StandardCharsets.UTF_8));
    assertThat(TestServer.error(refused(script, DB_PASSWORD, 400))).contains("not a backup podvault can read");
  }

  @Test
  @DisplayName("a gzip-compressed upload, whatever its name, restores like the plain file; a cut one is refused and changes nothing")
  void gzipUploads() throws Exception {
    byte[] compressed = GzipTest.gzip(Files.readAllBytes(backup));
    assertThat(TestServer.error(refused(write("cut.sql.gz", Arrays.copyOf(compressed, compressed.length * 2 / 3)), DB_PASSWORD, 400)))
      .contains("incomplete gzip file");
    execute("UPDATE \"Episodes\" SET episodetitle = 'changed after the backup'");
    String admin = admin();
    HttpResponse<Buffer> accepted = upload(write("named-as-plain.sql", compressed), DB_PASSWORD);
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    JsonObject job = server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
    assertThat(checksums()).isEqualTo(checksumsAtBackup);
  }

  @Test
  @DisplayName("a signed file that loads an unknown column or carries an extra statement is refused")
  void craftedFilesAreRefused() throws Exception {
    String text = Files.readString(backup, StandardCharsets.UTF_8);
    String content = text.substring(0, text.lastIndexOf("-- podvault trailer: "));
    String unknownColumn = content.replace("COPY \"public\".\"Users\" (\"userid\", ", "COPY \"public\".\"Users\" (\"is_superuser\", ");
    assertThat(unknownColumn).isNotEqualTo(content);
    String error = TestServer.error(refused(resign("column.sql", unknownColumn, DB_PASSWORD), DB_PASSWORD, 400));
    assertThat(error).contains("table Users").contains("is_superuser");

    String extra = content.replace("SET row_security = off;\n", "SET row_security = off;\n\nDROP TABLE \"public\".\"Users\" CASCADE;\n");
    refused(resign("extra-unsealed.sql", extra, "a password other than the database's"), DB_PASSWORD, 400);
    String extraError = TestServer.error(refused(resign("extra-sealed.sql", extra, DB_PASSWORD), DB_PASSWORD, 400));
    assertThat(extraError).contains("damaged at byte");
  }

  private static int administrators;

  /** A new administrator: wrong database passwords count per caller, and these tests send several. */
  private String freshAdmin() {
    String name = "restorer-" + ++administrators;
    return result(server.userToken(admin(), name, name + "-password", true));
  }

  private HttpResponse<Buffer> upload(String token, io.vertx.ext.web.multipart.MultipartForm form) {
    return result(server.client.post("/api/data/restore_server").bearerTokenAuthentication(token).sendMultipartForm(form));
  }

  private static io.vertx.ext.web.multipart.MultipartForm form() {
    return io.vertx.ext.web.multipart.MultipartForm.create();
  }

  /** The backup sealed again with {@code password}, as another server with that database password would have. */
  private Path sealedWith(String password) throws Exception {
    return Sealing.resealed(backup, dir.resolve("sealed-elsewhere.sql"), password);
  }

  @Test
  @DisplayName("a password that is not this server's gets 403 naming server_database_pass, before the file is read")
  void wrongPassword() throws Exception {
    String token = freshAdmin();
    HttpResponse<Buffer> response = refused(token, form().attribute("database_pass", "not-the-backup-password")
      .binaryFileUpload("backup_file", "server_backup.sql", backup.toString(), "application/sql"), 403);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("server_database_pass_required");
    assertThat(TestServer.error(response)).contains("'server_database_pass'");
  }

  /** Uploads a form that must be refused, and proves the database did not change. */
  private HttpResponse<Buffer> refused(String token, io.vertx.ext.web.multipart.MultipartForm form, int status) throws Exception {
    Map<String, String> before = checksums();
    HttpResponse<Buffer> response = upload(token, form);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(checksums()).isEqualTo(before);
    awaitUploadsDeleted();
    return response;
  }

  @Test
  @DisplayName("a backup sealed by another server needs this server's password too: without it 403, with a wrong one 403, with it the restore runs")
  void backupFromAnotherServer() throws Exception {
    Path foreign = sealedWith("the other server's password");
    String token = freshAdmin();
    HttpResponse<Buffer> without = refused(token, form().attribute("database_pass", "the other server's password")
      .binaryFileUpload("backup_file", "server_backup.sql", foreign.toString(), "application/sql"), 403);
    assertThat(without.bodyAsJsonObject().getString("code")).isEqualTo("server_database_pass_required");
    HttpResponse<Buffer> wrong = refused(token, form().attribute("database_pass", "the other server's password")
      .attribute("server_database_pass", "a guess")
      .binaryFileUpload("backup_file", "server_backup.sql", foreign.toString(), "application/sql"), 403);
    assertThat(wrong.bodyAsJsonObject().getString("code")).isEqualTo("wrong_database_password");
    assertThat(TestServer.error(wrong)).contains("'server_database_pass' is not this server's database password");
    HttpResponse<Buffer> notTheSeal = refused(token, form().attribute("database_pass", DB_PASSWORD)
      .binaryFileUpload("backup_file", "server_backup.sql", foreign.toString(), "application/sql"), 403);
    assertThat(notTheSeal.bodyAsJsonObject().getString("code")).isEqualTo("backup_password_mismatch");

    HttpResponse<Buffer> accepted = upload(token, form().attribute("database_pass", "the other server's password")
      .attribute("server_database_pass", DB_PASSWORD)
      .binaryFileUpload("backup_file", "server_backup.sql", foreign.toString(), "application/sql"));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    JsonObject job = server.awaitJob(token, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
    assertThat(checksums()).isEqualTo(checksumsAtBackup);
  }

  @Test
  @DisplayName("an administrator token alone cannot restore a file it sealed itself: 403 is answered while the file still uploads")
  void selfSealedFileRefusedEarly() throws Exception {
    String token = freshAdmin();
    Map<String, String> before = checksums();
    byte[] parts = ("--b\r\nContent-Disposition: form-data; name=\"database_pass\"\r\n\r\na password of my choosing\r\n"
      + "--b\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"a.sql\"\r\n\r\n")
      .getBytes(StandardCharsets.US_ASCII);
    assertThat(statusBeforeTheBodyEnds(token, parts, Files.readAllBytes(backup))).isEqualTo("HTTP/1.1 403");
    assertThat(checksums()).isEqualTo(before);
  }


  @Test
  @DisplayName("the password may come after the file: then it is checked at the end; sent twice, 400; nothing changes")
  void passwordAfterTheFile() throws Exception {
    String token = freshAdmin();
    HttpResponse<Buffer> response = refused(token, form()
      .binaryFileUpload("backup_file", "server_backup.sql", backup.toString(), "application/sql")
      .attribute("database_pass", "not-the-backup-password"), 403);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("server_database_pass_required");
    HttpResponse<Buffer> wrongSeal = refused(token, form()
      .binaryFileUpload("backup_file", "server_backup.sql", sealedWith("another password").toString(), "application/sql")
      .attribute("database_pass", DB_PASSWORD), 403);
    assertThat(TestServer.error(wrongSeal)).isEqualTo("the password does not match the one used when this backup was made");
    Map<String, String> before = checksums();
    HttpResponse<Buffer> twice = result(server.client.post("/api/data/restore_server").bearerTokenAuthentication(admin())
      .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
        .attribute("database_pass", DB_PASSWORD)
        .binaryFileUpload("backup_file", "server_backup.sql", backup.toString(), "application/sql")
        .attribute("database_pass", "not-the-backup-password")));
    assertThat(twice.statusCode()).as(twice.bodyAsString()).isEqualTo(400);
    assertThat(TestServer.error(twice)).contains("'database_pass' once");
    assertThat(checksums()).isEqualTo(before);
    awaitUploadsDeleted();
  }

  @Test
  @DisplayName("a file refused at its first line is answered while the client is still sending the rest")
  void refusedBeforeTheUploadEnds() throws Exception {
    String token = admin();
    Map<String, String> before = checksums();
    byte[] parts = ("--b\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"a.sql\"\r\n\r\n"
      + "DROP TABLE \"Users\" CASCADE;\n").getBytes(StandardCharsets.US_ASCII);
    byte[] filler = new byte[2 * 1024 * 1024];
    Arrays.fill(filler, (byte) 'x');
    // Two megabytes of a declared sixty (the test server accepts 64): the answer must not wait for the rest.
    assertThat(statusBeforeTheBodyEnds(token, parts, filler)).isEqualTo("HTTP/1.1 400");
    assertThat(checksums()).isEqualTo(before);
    awaitUploadsDeleted();
  }


  @Test
  @DisplayName("a file larger than the limit gets 413; a normal user gets 403; a missing password or file gets 400")
  void limitsAndPermissions() throws Exception {
    Path large = dir.resolve("large.sql");
    try (var out = Files.newOutputStream(large)) {
      byte[] block = new byte[1024 * 1024];
      for (int i = 0; i < 65; i++) {
        out.write(block);
      }
    }
    refused(large, DB_PASSWORD, 413);
    String user = result(server.login("restored-user", "restored-user-password"));
    Map<String, String> before = checksums();
    assertThat(result(server.uploadRestore(user, backup, DB_PASSWORD)).statusCode()).isEqualTo(403);
    assertThat(result(server.client.post("/api/data/restore_server")
      .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create().attribute("database_pass", DB_PASSWORD)))
      .statusCode()).isEqualTo(401);
    refused(backup, "", 400);
    HttpResponse<Buffer> json = result(server.client.post("/api/data/restore_server").bearerTokenAuthentication(admin())
      .sendJsonObject(new JsonObject().put("database_pass", DB_PASSWORD)));
    assertThat(json.statusCode()).isEqualTo(415);
    assertThat(checksums()).isEqualTo(before);
  }

  @Test
  @DisplayName("a second restore while one runs gets 409")
  void secondRestoreConflicts() throws Exception {
    String admin = admin();
    try (Connection lockHolder = connect()) {
      // Another process's job holds the lock: the same advisory lock, from a session of its own.
      try (ResultSet rs = lockHolder.createStatement().executeQuery("SELECT pg_try_advisory_lock(" + 0x706F647661756C74L + ")")) {
        rs.next();
        assertThat(rs.getBoolean(1)).isTrue();
      }
      Map<String, String> before = checksums();
      HttpResponse<Buffer> second = result(server.uploadRestore(admin, backup, DB_PASSWORD));
      assertThat(second.statusCode()).isEqualTo(409);
      assertThat(TestServer.error(second)).contains("already running");
      HttpResponse<Buffer> backupMeanwhile = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(admin)
        .sendJsonObject(new JsonObject().put("database_pass", DB_PASSWORD)));
      assertThat(backupMeanwhile.statusCode()).isEqualTo(409);
      assertThat(checksums()).isEqualTo(before);
    }
  }

  private Path write(String name, byte[] bytes) throws Exception {
    return Files.write(dir.resolve(name), bytes);
  }

  /** Waits until every refused upload's stored file is gone (the job deletes it as it ends). */
  private static void awaitUploadsDeleted() throws InterruptedException {
    until("the refused uploads to be deleted", () -> {
      try (var files = Files.list(server.podvault.dataDir().resolve("restore"))) {
        return files.findAny().isEmpty();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /**
   * Sends a restore that declares a 60 MB body but sends only {@code parts} and {@code more}, and returns the
   * status line that came back meanwhile: the answer must not wait for a body that never ends.
   */
  private String statusBeforeTheBodyEnds(String token, byte[] parts, byte[] more) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("localhost", server.podvault.httpPort())) {
      socket.setSoTimeout(20_000);
      java.io.OutputStream out = socket.getOutputStream();
      out.write(("POST /api/data/restore_server HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + 60L * 1024 * 1024 + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.write(parts);
      out.write(more);
      out.flush();
      return new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
    }
  }

  /** The content with a trailer computed as podvault would, keyed with {@code password}. */
  private Path resign(String name, String content, String password) throws Exception {
    return Files.writeString(dir.resolve(name), Sealing.sealed(content, password), StandardCharsets.UTF_8);
  }
}
