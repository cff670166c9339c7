package io.podvault.faults;

import static io.podvault.support.Await.result;
import static io.podvault.support.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.db.Connections;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Jobs under concurrent, vanishing and stalled clients")
class JobFaultsTest {

  private static Vertx vertx;
  private static TestServer server;
  private static Path backup;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of("download_stall_seconds", 2)));
    try (Connection c = connect()) {
      PinePodsData.fillLarge(c, 20_000, 40_000);
    }
    backup = Files.createTempFile("job-faults", ".sql");
    assertThat(result(server.downloadBackup(result(server.adminToken()), TestPostgres.PASSWORD, backup)).statusCode())
      .isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    Files.deleteIfExists(backup);
    result(server.stop());
    result(vertx.close());
  }

  private static Connection connect() throws Exception {
    return Connections.open(server.db);
  }

  private static boolean lockHeld() {
    try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
      rs.next();
      return rs.getLong(1) > 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long storedFiles() throws Exception {
    try (var files = Files.walk(server.podvault.dataDir().resolve("restore"))) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  @Test
  @DisplayName("two restores started at the same moment: exactly one 202 and one 409; a backup meanwhile gets 409")
  void simultaneousRestores() throws Exception {
    String first = result(server.adminToken());
    String second = result(server.userToken(first, "other-admin", "other-admin-password", true));
    List<HttpResponse<Buffer>> answers = result(Future.all(
      server.uploadRestore(first, backup, TestPostgres.PASSWORD),
      server.uploadRestore(second, backup, TestPostgres.PASSWORD))).list();
    List<Integer> statuses = answers.stream().map(HttpResponse::statusCode).sorted().toList();
    assertThat(statuses).isEqualTo(List.of(202, 409));
    HttpResponse<Buffer> accepted = answers.stream().filter(r -> r.statusCode() == 202).findFirst().orElseThrow();
    HttpResponse<Buffer> backupMeanwhile = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(first)
      .sendJsonObject(new JsonObject().put("database_pass", TestPostgres.PASSWORD)));
    JsonObject job = server.awaitJob(first, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).isEqualTo("succeeded");
    assertThat(backupMeanwhile.statusCode()).as("a backup while the restore ran, or after it with a token it ended")
      .isIn(409, 401);
    until("the lock to be free", () -> !lockHeld());
    assertThat(storedFiles()).isZero();
  }

  @Test
  @DisplayName("a client that disconnects halfway through its upload leaves no file and no job behind")
  void uploadAbandoned() throws Exception {
    String token = result(server.adminToken());
    byte[] head = Files.readAllBytes(backup);
    try (Socket socket = new Socket("localhost", server.podvault.httpPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/data/restore_server HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: " + (head.length + 500) + "\r\n\r\n"
        + "--xx\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"a.sql\"\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.write(head, 0, head.length / 2);
      out.flush();
      Thread.sleep(300);
    }
    until("the partial upload to be removed", () -> {
      try {
        return storedFiles() == 0;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(lockHeld()).isFalse();
    assertThat(result(server.client.get("/api/data/restore_status").send()).bodyAsJsonObject()
      .getBoolean("restore_in_progress")).isFalse();
  }

  @Test
  @DisplayName("a client that stops reading a download: the backup stops, fails visibly and frees the lock")
  void downloadNotRead() throws Exception {
    String token = result(server.adminToken());
    HttpClient http = vertx.createHttpClient();
    HttpClientResponse response = result(http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
        .setPort(server.podvault.httpPort()).setURI("/api/data/backup_server")
        .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json"))
      .compose(request -> request.send(new JsonObject().put("database_pass", TestPostgres.PASSWORD).encode())
        .onSuccess(HttpClientResponse::pause)));
    String jobId = response.getHeader("X-Podvault-Job");
    JsonObject job = server.awaitJob(token, jobId);
    assertThat(job.getString("state")).isEqualTo("failed");
    assertThat(job.getString("error")).contains("took no data");
    until("the lock to be free", () -> !lockHeld());
    result(http.close());
  }
}
