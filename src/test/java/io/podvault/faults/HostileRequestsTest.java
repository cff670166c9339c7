package io.podvault.faults;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Hostile and malformed requests")
class HostileRequestsTest {

  private static Vertx vertx;
  private static TestServer server;
  private static Path small;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of(
      "http_idle_timeout_seconds", 2, "download_stall_seconds", 2, "max_upload_bytes", 8L * 1024 * 1024)));
    small = Files.writeString(dir.resolve("small.sql"), "-- podvault server backup\n-- format_version: 1\n");
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static String admin() {
    return result(server.adminToken());
  }

  private static Path storedUploads() {
    return server.podvault.dataDir().resolve("restore");
  }

  private static long filesUnder(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  @Test
  @DisplayName("a path in the uploaded file's name is ignored: nothing is written outside the data folder")
  void pathTraversalInFileName() throws Exception {
    Path target = Path.of("/tmp/podvault-traversal-" + System.nanoTime() + ".sql");
    for (String name : List.of("../../../../.." + target, "..\\..\\..\\evil.sql", target.toString())) {
      HttpResponse<Buffer> response = result(server.client.post("/api/data/restore_server").bearerTokenAuthentication(admin())
        .sendMultipartForm(MultipartForm.create().attribute("database_pass", TestPostgres.PASSWORD)
          .binaryFileUpload("backup_file", name, small.toString(), "application/sql")));
      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(TestServer.error(response)).contains("cut short");
    }
    assertThat(target).doesNotExist();
    assertThat(filesUnder(storedUploads())).as("every stored upload was removed").isZero();
  }

  @Test
  @DisplayName("wrong content types get 415 with the JSON error")
  void wrongContentTypes() {
    HttpResponse<Buffer> text = result(server.client.post("/api/auth/login").putHeader("Content-Type", "text/plain")
      .sendBuffer(Buffer.buffer("{\"username\":\"admin\",\"password\":\"x\"}")));
    assertThat(text.statusCode()).isEqualTo(415);
    assertThat(text.bodyAsJsonObject().getString("code")).isEqualTo("unsupported_media_type");
    HttpResponse<Buffer> backupAsMultipart = result(server.client.post("/api/data/backup_server")
      .bearerTokenAuthentication(admin()).sendMultipartForm(MultipartForm.create().attribute("database_pass", "x")));
    assertThat(backupAsMultipart.statusCode()).isEqualTo(415);
    HttpResponse<Buffer> restoreAsText = result(server.client.post("/api/data/restore_server")
      .bearerTokenAuthentication(admin()).putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("DROP TABLE x;")));
    assertThat(restoreAsText.statusCode()).isEqualTo(415);
  }

  @Test
  @DisplayName("a multipart body with thousands of parts is refused and stores nothing")
  void manyParts() throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 5_000; i++) {
      body.append("--b\r\nContent-Disposition: form-data; name=\"field").append(i).append("\"\r\n\r\nv\r\n");
    }
    body.append("--b\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"a.sql\"\r\n\r\n")
      .append(Files.readString(small)).append("\r\n--b--\r\n");
    HttpResponse<Buffer> response = result(server.client.post("/api/data/restore_server").bearerTokenAuthentication(admin())
      .putHeader("Content-Type", "multipart/form-data; boundary=b").sendBuffer(Buffer.buffer(body.toString())));
    assertThat(response.statusCode()).isBetween(400, 413);
    assertThat(filesUnder(storedUploads())).isZero();
  }

  @Test
  @DisplayName("huge request headers are refused, and the server keeps serving")
  void hugeHeaders() throws Exception {
    try (Socket socket = new Socket("localhost", server.podvault.httpPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nX-Huge: " + "h".repeat(100_000)
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 431");
    }
    assertThat(result(server.client.get("/health").send()).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a slow-loris upload is cut off after the idle timeout and its partial file removed")
  void slowLoris() throws Exception {
    String token = admin();
    try (Socket socket = new Socket("localhost", server.podvault.httpPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      String boundary = "slowloris";
      out.write(("POST /api/data/restore_server HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: 100000000\r\n\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"a.sql\"\r\n\r\n"
        + "-- podvault server backup\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.currentTimeMillis();
      InputStream in = socket.getInputStream();
      while (in.read() >= 0) {
        // the server may answer before it closes; read until it does
      }
      assertThat(System.currentTimeMillis() - started).as("closed by the idle timeout").isLessThan(15_000);
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (filesUnder(storedUploads()) > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(filesUnder(storedUploads())).isZero();
    assertThat(result(server.client.get("/health").send()).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("guessing the database password on the backup endpoint is rate-limited like sign-in")
  void backupPasswordBruteForce() {
    String token = result(server.userToken(admin(), "guesser-admin", "guesser-admin-password", true));
    for (int i = 0; i < 10; i++) {
      assertThat(result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("database_pass", "guess-" + i))).statusCode()).isEqualTo(403);
    }
    HttpResponse<Buffer> limited = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject().put("database_pass", TestPostgres.PASSWORD)));
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.getHeader("Retry-After")).isNotNull();
  }

  @Test
  @DisplayName("every admin endpoint refuses a normal user (403), a revoked token and a deleted API key (401)")
  void adminEndpoints() {
    String userToken = result(server.userToken(admin(), "plain-user", "plain-user-password", false));
    String revoked = result(server.adminToken());
    result(server.client.post("/api/auth/logout").bearerTokenAuthentication(revoked).send());
    HttpResponse<Buffer> created = result(server.client.post("/api/keys").bearerTokenAuthentication(admin()).send());
    String deletedKey = created.bodyAsJsonObject().getString("key");
    result(server.client.delete("/api/keys/" + created.bodyAsJsonObject().getInteger("id")).bearerTokenAuthentication(admin()).send());
    String userKey = result(server.client.post("/api/keys").bearerTokenAuthentication(userToken).send())
      .bodyAsJsonObject().getString("key");

    List<Function<HttpRequest<Buffer>, Future<HttpResponse<Buffer>>>> calls = List.of(
      r -> r.send(),
      r -> r.sendJsonObject(new JsonObject().put("username", "x-user").put("password", "x-password")),
      r -> r.sendJsonObject(new JsonObject().put("database_pass", TestPostgres.PASSWORD)),
      r -> r.sendMultipartForm(MultipartForm.create().attribute("database_pass", "x")
        .binaryFileUpload("backup_file", "a.sql", small.toString(), "application/sql")),
      r -> r.send());
    List<HttpRequest<Buffer>> requests = List.of(
      server.client.get("/api/admin/users"),
      server.client.post("/api/admin/users"),
      server.client.post("/api/data/backup_server"),
      server.client.post("/api/data/restore_server"),
      server.client.get("/api/data/jobs/" + java.util.UUID.randomUUID()));
    for (int i = 0; i < requests.size(); i++) {
      var call = calls.get(i);
      assertThat(result(call.apply(requests.get(i).copy().bearerTokenAuthentication(userToken))).statusCode())
        .as("normal user, request %d", i).isEqualTo(403);
      assertThat(result(call.apply(requests.get(i).copy().putHeader("Api-Key", userKey))).statusCode())
        .as("normal user's API key, request %d", i).isEqualTo(403);
      assertThat(result(call.apply(requests.get(i).copy().bearerTokenAuthentication(revoked))).statusCode())
        .as("revoked token, request %d", i).isEqualTo(401);
      assertThat(result(call.apply(requests.get(i).copy().putHeader("Api-Key", deletedKey))).statusCode())
        .as("deleted API key, request %d", i).isEqualTo(401);
    }
  }
}
