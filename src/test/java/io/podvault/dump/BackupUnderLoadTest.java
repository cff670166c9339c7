package io.podvault.dump;

import static io.podvault.support.Await.result;
import static io.podvault.support.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.restore.BackupValidator;
import io.podvault.support.PinePodsData;
import io.podvault.support.Psql;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Backups of a server that is busy or failing")
class BackupUnderLoadTest {

  private static Vertx vertx;
  private static TestServer server;
  private static HttpClient http;
  private static String admin;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
    try (Connection c = connect(server.db)) {
      PinePodsData.fillLarge(c, 30_000, 60_000);
    }
    admin = result(server.adminToken());
    http = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() {
    result(http.close());
    result(server.stop());
    result(vertx.close());
  }

  private static Connection connect(DbCoordinates db) throws Exception {
    return Connections.open(db);
  }

  /** Starts a backup download and holds the response paused, so the dump stalls with its snapshot open. */
  private static HttpClientResponse startPausedDownload() {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
      .setPort(server.podvault.httpPort()).setURI("/api/data/backup_server")
      .putHeader("Authorization", "Bearer " + admin).putHeader("Content-Type", "application/json");
    HttpClientResponse response = result(http.request(options).compose(request -> request
      .send(new JsonObject().put("database_pass", TestPostgres.PASSWORD).encode())
      .onSuccess(HttpClientResponse::pause)));
    assertThat(response.statusCode()).isEqualTo(200);
    return response;
  }

  /** Resumes the response and collects what arrives; fails if the download breaks off. */
  private static Future<Buffer> drain(HttpClientResponse response, Buffer received) {
    Promise<Buffer> done = Promise.promise();
    response.handler(received::appendBuffer);
    response.exceptionHandler(done::tryFail);
    response.endHandler(v -> done.tryComplete(received));
    response.resume();
    return done.future();
  }

  @Test
  @DisplayName("writes committed while a backup runs are either wholly in the file or wholly absent")
  void consistentSnapshot() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong committed = new AtomicLong();
    Thread writer = new Thread(() -> writePairs(stop, committed), "pair-writer");
    writer.start();
    Path file = dir.resolve("server_backup.sql");
    try {
      until("first writes", () -> committed.get() >= 5);
      HttpClientResponse response = startPausedDownload();
      long atStart = committed.get();
      until("writes during the backup", () -> committed.get() >= atStart + 50);
      Buffer body = result(drain(response, Buffer.buffer()));
      Files.write(file, body.getBytes());
    } finally {
      stop.set(true);
      writer.join();
    }
    new BackupValidator(server.db, BackupValidator.Progress.NONE).validate(file, TestPostgres.PASSWORD);
    DbCoordinates copy = TestPostgres.freshDatabase();
    Psql.Result load = Psql.load(copy, file);
    assertThat(load.exitCode()).as(load.output()).isZero();
    try (Connection c = connect(copy)) {
      List<Long> feeds = markers(c, "SELECT cachekey FROM \"HostFeedCache\" WHERE cachekey LIKE 'w-%'");
      List<Long> migrations = markers(c, "SELECT version FROM schema_migrations WHERE version LIKE 'w-%'");
      assertThat(feeds).isEqualTo(migrations);
      assertThat(feeds).isNotEmpty();
      assertThat((long) feeds.size()).isLessThan(committed.get());
      for (int i = 0; i < feeds.size(); i++) {
        assertThat(feeds.get(i)).isEqualTo(i + 1);
      }
    }
  }

  private static List<Long> markers(Connection c, String sql) throws Exception {
    List<Long> result = new ArrayList<>();
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      while (rs.next()) {
        result.add(Long.parseLong(rs.getString(1).substring(2)));
      }
    }
    result.sort(null);
    return result;
  }

  /** One transaction at a time, each writing a pair of rows into tables far apart in the dump. */
  private static void writePairs(AtomicBoolean stop, AtomicLong committed) {
    try (Connection c = connect(server.db)) {
      c.setAutoCommit(false);
      PreparedStatement feed = c.prepareStatement("INSERT INTO \"HostFeedCache\" (cachekey, feedjson) VALUES (?, '{}')");
      PreparedStatement migration = c.prepareStatement(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, 'pair', 'c')");
      for (long i = 1; !stop.get(); i++) {
        feed.setString(1, "w-" + i);
        feed.executeUpdate();
        migration.setString(1, "w-" + i);
        migration.executeUpdate();
        c.commit();
        committed.set(i);
        Thread.sleep(2);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("when the database connection is killed mid-dump the download fails visibly, without a trailer, and the job fails")
  void connectionKilledMidDump() throws Exception {
    HttpClientResponse response = startPausedDownload();
    String jobId = response.getHeader("X-Podvault-Job");
    long killed;
    try (Connection c = connect(server.db)) {
      until("the dump to hold its lock", () -> dumpBackend(c) > 0);
      killed = dumpBackend(c);
      try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_terminate_backend(" + killed + ")")) {
        rs.next();
        assertThat(rs.getBoolean(1)).isTrue();
      }
    }
    Buffer received = Buffer.buffer();
    Throwable failure = result(drain(response, received).map(b -> (Throwable) null).otherwise(e -> e));
    assertThat(failure).as("the download must break off, not end cleanly").isNotNull();
    String text = received.toString(StandardCharsets.UTF_8);
    assertThat(text).startsWith("-- podvault server backup");
    assertThat(text).doesNotContain("-- podvault trailer:");

    until("the job to be marked failed", () -> "failed".equals(jobState(jobId)));
    JsonObject job = result(server.get("/api/data/jobs/" + jobId, admin).send()).bodyAsJsonObject();
    assertThat(job.getString("error")).contains("the backup failed");
    try (Connection c = connect(server.db)) {
      until("the job lock to be free", () -> dumpBackend(c) == 0);
    }
    assertThat(result(server.downloadBackup(admin, TestPostgres.PASSWORD, dir.resolve("again.sql"))).statusCode())
      .as("a new backup can start").isEqualTo(200);
  }

  private static String jobState(String jobId) {
    return result(server.get("/api/data/jobs/" + jobId, admin).send()).bodyAsJsonObject().getString("state");
  }

  private static long dumpBackend(Connection c) {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
      + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
