package io.podvault.faults;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.EmbeddedDatabase;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The database restarting and the disk filling up")
class EnvironmentFaultsTest {

  private static Vertx vertx;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    result(vertx.close());
  }

  @Test
  @DisplayName("the database restarted during a backup: the download fails visibly, then the server serves and backs up again")
  void databaseRestartDuringBackup() throws Exception {
    Path cluster = Files.createDirectories(dir.resolve("cluster"));
    EmbeddedDatabase database = EmbeddedDatabase.start(cluster, "restart-password", 0);
    int port = database.coordinates().port();
    DbCoordinates db = database.coordinates();
    TestServer server = result(TestServer.start(vertx, db, Map.of()));
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fillLarge(c, 20_000, 40_000);
      }
      String admin = result(server.adminToken());
      HttpClient http = vertx.createHttpClient();
      HttpClientResponse response = result(http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
          .setPort(server.podvault.httpPort()).setURI("/api/data/backup_server")
          .putHeader("Authorization", "Bearer " + admin).putHeader("Content-Type", "application/json"))
        .compose(request -> request.send(new JsonObject().put("database_pass", "restart-password").encode())
          .onSuccess(HttpClientResponse::pause)));
      String jobId = response.getHeader("X-Podvault-Job");
      Thread.sleep(500);
      database.close();
      database = EmbeddedDatabase.start(cluster, "restart-password", port);

      Buffer received = Buffer.buffer();
      Promise<Void> done = Promise.promise();
      response.handler(received::appendBuffer).exceptionHandler(done::tryFail).endHandler(v -> done.tryComplete());
      response.resume();
      Throwable failure = result(done.future().map(v -> (Throwable) null).otherwise(e -> e));
      assertThat(failure).as("the download breaks off").isNotNull();
      assertThat(received.toString(StandardCharsets.UTF_8)).doesNotContain("-- podvault trailer:");

      long deadline = System.currentTimeMillis() + 60_000;
      while (result(server.client.get("/health").send()).statusCode() != 200) {
        assertThat(System.currentTimeMillis()).isLessThan(deadline);
        Thread.sleep(200);
      }
      admin = result(server.adminToken());
      JsonObject job = server.awaitJob(admin, jobId);
      assertThat(job.getString("state")).isEqualTo("failed");
      assertThat(job.getString("error")).startsWith("the backup failed");
      Path again = dir.resolve("again.sql");
      assertThat(result(server.downloadBackup(admin, "restart-password", again)).statusCode()).isEqualTo(200);
      assertThat(Files.readString(again)).contains("-- podvault trailer:");
      result(http.close());
    } finally {
      result(server.stop());
      database.close();
    }
  }

  @Test
  @DisplayName("the data folder's disk fills while an upload is stored: a clear error, the partial file removed, then it works again")
  void diskFullDuringUpload() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("small-disk"));
    assumeTrue(mount(mount), "mounting a small tmpfs needs root; CI runs as root");
    try {
      TestServer server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of("data_dir", mount.toString())));
      try {
        Path big = dir.resolve("big.sql");
        try (var out = Files.newOutputStream(big)) {
          out.write("-- podvault server backup\n".getBytes(StandardCharsets.UTF_8));
          out.write(new byte[6 * 1024 * 1024]);
        }
        String admin = result(server.adminToken());
        HttpResponse<Buffer> response = result(server.uploadRestore(admin, big, TestPostgres.PASSWORD));
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(507);
        assertThat(TestServer.error(response)).contains("no space left");
        try (var files = Files.walk(mount.resolve("restore"))) {
          assertThat(files.filter(Files::isRegularFile).toList()).as("partial uploads removed").isEmpty();
        }
        Path small = Files.writeString(dir.resolve("small.sql"), "DROP TABLE \"Users\";\n");
        HttpResponse<Buffer> after = result(server.uploadRestore(admin, small, TestPostgres.PASSWORD));
        assertThat(after.statusCode()).isEqualTo(400);
        assertThat(TestServer.error(after)).contains("not a backup podvault can read");
      } finally {
        result(server.stop());
      }
    } finally {
      new ProcessBuilder(List.of("umount", mount.toString())).start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean mount(Path at) throws Exception {
    Process mount = new ProcessBuilder(List.of("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", at.toString()))
      .redirectErrorStream(true).start();
    return mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
  }
}
