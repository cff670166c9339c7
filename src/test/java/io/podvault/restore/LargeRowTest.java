package io.podvault.restore;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.db.Connections;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Every backup podvault writes, it restores: a row far larger than a line buffer")
class LargeRowTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  /** A piece of feed JSON with a character COPY escapes (the tab) and a multi-byte one. */
  private static final String PIECE = "{\"title\":\"épisode\\t\",\"n\":1}";
  private static Vertx vertx;
  private static TestServer server;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  /** The stored feed's length in bytes and its md5, as PostgreSQL computes them. */
  private static String feed() throws Exception {
    try (Connection c = Connections.open(server.db); ResultSet rs = c.createStatement().executeQuery(
      "SELECT octet_length(feedjson) || ' ' || md5(feedjson) FROM \"HostFeedCache\" WHERE cachekey = 'big'")) {
      return rs.next() ? rs.getString(1) : "none";
    }
  }

  @Test
  @DisplayName("a 200 MB feedjson is backed up and restored byte for byte")
  void twoHundredMegabyteField() throws Exception {
    int copies = 200 * 1024 * 1024 / PIECE.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    TestPostgres.execute(server.db, "INSERT INTO \"HostFeedCache\" (cachekey, feedjson) VALUES ('big', repeat("
      + io.podvault.db.Sql.literal(PIECE) + ", " + copies + "))");
    String before = feed();
    assertThat(Long.parseLong(before.split(" ")[0])).isGreaterThan(200_000_000L);

    String admin = result(server.adminToken());
    Path file = dir.resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(admin, DB_PASSWORD, file)).statusCode()).isEqualTo(200);
    assertThat(Files.size(file)).isGreaterThan(200_000_000L);

    TestPostgres.execute(server.db, "DELETE FROM \"HostFeedCache\"");
    HttpResponse<Buffer> accepted = result(server.uploadRestore(admin, file, DB_PASSWORD));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    JsonObject job = server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
    assertThat(feed()).isEqualTo(before);
  }
}
