package io.podvault.faults;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.support.ChildServer;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The server process killed (SIGKILL) in the middle of a restore")
class ProcessKillTest {

  private static Vertx vertx;

  @TempDir
  Path dir;

  /** Every child started by a test; one a failed assertion left running is killed afterwards. */
  private final java.util.List<ChildServer> children = new java.util.ArrayList<>();

  @org.junit.jupiter.api.AfterEach
  void killLeftovers() throws InterruptedException {
    for (ChildServer child : children) {
      child.kill();
    }
  }

  private ChildServer startChild(Path dataDir, Map<String, String> env) throws Exception {
    ChildServer child = ChildServer.start(vertx, dataDir, env);
    children.add(child);
    return child;
  }

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    result(vertx.close());
  }

  private static Connection connect(DbCoordinates db) throws Exception {
    return Connections.open(db);
  }

  private static Map<String, String> checksums(DbCoordinates db) throws Exception {
    try (Connection c = connect(db)) {
      return PinePodsData.tableChecksums(c, "public");
    }
  }

  private static Path backup(ChildServer child, Path file, String dbPassword) throws Exception {
    var opened = result(vertx.fileSystem().open(file.toString(), new io.vertx.core.file.OpenOptions()));
    HttpResponse<Void> response = result(child.client.post("/api/data/backup_server").bearerTokenAuthentication(child.adminToken())
      .as(io.vertx.ext.web.codec.BodyCodec.pipe(opened))
      .sendJsonObject(new JsonObject().put("database_pass", dbPassword)));
    assertThat(response.statusCode()).isEqualTo(200);
    return file;
  }

  private static Future<HttpResponse<Buffer>> upload(ChildServer child, Path file, String dbPassword)
    throws InterruptedException {
    return child.client.post("/api/data/restore_server").bearerTokenAuthentication(child.adminToken())
      .sendMultipartForm(MultipartForm.create().attribute("database_pass", dbPassword)
        .binaryFileUpload("backup_file", "server_backup.sql", file.toString(), "application/sql"));
  }

  private static void waitForBackend(DbCoordinates db, String prefix) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    try (Connection c = connect(db)) {
      while (true) {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
          + "AND datname = current_database() AND query LIKE '" + prefix + "%'")) {
          rs.next();
          if (rs.getLong(1) > 0) {
            return;
          }
        }
        assertThat(System.currentTimeMillis()).as("waiting for " + prefix).isLessThan(deadline);
        Thread.sleep(5);
      }
    }
  }

  /** After the restart: old data, no shadow schema, no stored upload, a failed job record, a free lock. */
  private static void assertRecovered(ChildServer child, DbCoordinates db, Map<String, String> before, Path dataDir,
                                      Path backup, String dbPassword) throws Exception {
    assertThat(checksums(db)).isEqualTo(before);
    try (Connection c = connect(db)) {
      try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_re%'")) {
        rs.next();
        assertThat(rs.getLong(1)).as("leftover shadow schema").isZero();
      }
      try (ResultSet rs = c.createStatement().executeQuery("SELECT state, error FROM podvault.jobs WHERE kind = 'restore'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("state")).isEqualTo("failed");
        assertThat(rs.getString("error")).contains("the server stopped while this job was running");
      }
    }
    try (var files = Files.list(dataDir.resolve("restore"))) {
      assertThat(files).as("leftover upload").isEmpty();
    }
    HttpResponse<Buffer> again = result(upload(child, backup, dbPassword));
    assertThat(again.statusCode()).as("the lock is free: " + again.bodyAsString()).isEqualTo(202);
    String token = child.adminToken();
    long deadline = System.currentTimeMillis() + 120_000;
    String state = "running";
    while ("running".equals(state) && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      HttpResponse<Buffer> job = result(child.client.get("/api/data/jobs/" + again.bodyAsJsonObject().getString("job_id"))
        .bearerTokenAuthentication(token).send());
      if (job.statusCode() == 401 || job.statusCode() == 503) {
        token = job.statusCode() == 401 ? child.adminToken() : token;
        continue;
      }
      state = job.bodyAsJsonObject().getString("state");
    }
    assertThat(state).isEqualTo("succeeded");
  }

  @Test
  @DisplayName("killed while loading and while swapping: on restart the old data is intact, leftovers cleaned, a new restore succeeds")
  void killedWithExternalDatabase() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    Path dataDir = Files.createDirectories(dir.resolve("data"));
    Map<String, String> env = Map.of("PODVAULT_DB_URL", TestPostgres.url(db));
    ChildServer child = startChild(dataDir, env);
    try (Connection c = connect(db)) {
      PinePodsData.fillLarge(c, 60_000, 120_000);
    }
    Path file = backup(child, dir.resolve("backup.sql"), db.password());
    Map<String, String> before = checksums(db);

    upload(child, file, db.password());
    waitForBackend(db, "COPY \"podvault_restore_");
    child.kill();
    child = startChild(dataDir, env);
    assertRecovered(child, db, before, dataDir, file, db.password());

    Map<String, String> restored = checksums(db);
    try (Connection c = connect(db)) {
      c.createStatement().execute("DELETE FROM podvault.jobs");
    }
    try (Connection reader = connect(db)) {
      reader.setAutoCommit(false);
      reader.createStatement().execute("LOCK TABLE \"Users\" IN ACCESS SHARE MODE");
      upload(child, file, db.password());
      waitForBackend(db, "LOCK TABLE \"public\"");
      child.kill();
      reader.rollback();
    }
    child = startChild(dataDir, env);
    assertRecovered(child, db, restored, dataDir, file, db.password());
    assertThat(child.stop()).isIn(0, 143);
  }

  @Test
  @DisplayName("with the embedded database the killed server leaves PostgreSQL running; the next start stops it and recovers")
  void killedWithEmbeddedDatabase() throws Exception {
    Path dataDir = Files.createDirectories(dir.resolve("embedded"));
    int dbPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      dbPort = socket.getLocalPort();
    }
    Map<String, String> env = Map.of("PODVAULT_EMBEDDED_DB_PORT", Integer.toString(dbPort));
    ChildServer child = startChild(dataDir, env);
    String password = Files.readString(dataDir.resolve("db-password")).trim();
    DbCoordinates db = new DbCoordinates("localhost", dbPort, "postgres", "postgres", password);
    try (Connection c = connect(db)) {
      PinePodsData.fillLarge(c, 60_000, 120_000);
    }
    Path file = backup(child, dir.resolve("embedded-backup.sql"), password);
    Map<String, String> before = checksums(db);

    upload(child, file, password);
    waitForBackend(db, "COPY \"podvault_restore_");
    child.kill();
    assertThat(Files.exists(dataDir.resolve("postgres/postmaster.pid"))).as("PostgreSQL outlived its parent").isTrue();
    try (Connection stillUp = connect(db)) {
      assertThat(stillUp.isValid(2)).isTrue();
    }

    child = startChild(dataDir, env);
    assertRecovered(child, db, before, dataDir, file, password);
    assertThat(child.stop()).isIn(0, 143);
    assertThat(Files.exists(dataDir.resolve("postgres/postmaster.pid"))).as("SIGTERM stops PostgreSQL too").isFalse();
  }
}
