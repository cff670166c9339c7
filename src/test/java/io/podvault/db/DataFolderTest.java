package io.podvault.db;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.Podvault;
import io.podvault.config.Config;
import io.podvault.config.ConfigKeys;
import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.podvault.support.Await;
import io.podvault.support.ChildServer;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The data folder and the embedded database, on a machine that may crash")
class DataFolderTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    result(vertx.close());
  }

  private static String permissions(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static String setting(Connection c, String name) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SHOW " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  @DisplayName("podvault's embedded database flushes every commit (fsync, synchronous_commit, full_page_writes on); its folder and password file are private")
  void durableAndPrivateByDefault() throws Exception {
    Path data = TestServer.tempDir("podvault-durable").resolve("data");
    Config config = Config.from(new JsonObject().put(ConfigKeys.HTTP_PORT, 0).put(ConfigKeys.DATA_DIR, data.toString())
      .put(ConfigKeys.ADMIN_PASSWORD, "owner-password"), Map.of());
    Podvault podvault = result(Podvault.start(vertx, config));
    try (Connection c = Connections.open(podvault.database())) {
      assertThat(setting(c, "fsync")).isEqualTo("on");
      assertThat(setting(c, "synchronous_commit")).isEqualTo("on");
      assertThat(setting(c, "full_page_writes")).isEqualTo("on");
      assertThat(permissions(data)).isEqualTo("rwx------");
      assertThat(permissions(data.resolve("db-password"))).isEqualTo("rw-------");
      assertThat(permissions(data.resolve(DataFolder.LOCK_FILE))).isEqualTo("rw-------");
      assertThat(permissions(data.resolve("restore"))).isEqualTo("rwx------");
      assertThat(permissions(data.resolve("postgres"))).isEqualTo("rwx------");
      assertThat(Files.readString(data.resolve(DataFolder.LOCK_FILE)).trim()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
      try (var leftovers = Files.list(data)) {
        assertThat(leftovers.map(p -> p.getFileName().toString())).as("no temporary password files")
          .doesNotContain("db-password.tmp", "initdb-password");
      }
    } finally {
      result(podvault.stop());
    }
  }

  @Test
  @DisplayName("while the cluster is created and first started, no connection gets in without the password")
  void noMomentWithoutPassword() throws Exception {
    Path data = TestServer.tempDir("podvault-first-start");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    DbCoordinates intruder = new DbCoordinates("localhost", port, "postgres", "postgres", "a guess", SslMode.DISABLE, null);
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refusedByPassword = new AtomicInteger();
    CompletableFuture<EmbeddedDatabase> starting = CompletableFuture.supplyAsync(() -> {
      try {
        return EmbeddedDatabase.start(data, null, port, EmbeddedDatabase.Durability.TEST_ONLY_NO_FSYNC);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    // Keeps knocking until the start has finished and at least one attempt has reached the running server.
    while (!starting.isDone() || refusedByPassword.get() == 0) {
      try (Connection c = Connections.open(intruder)) {
        admitted.incrementAndGet();
      } catch (SQLException e) {
        if ("28P01".equals(e.getSQLState())) {
          refusedByPassword.incrementAndGet();
        }
      }
      Thread.sleep(2);
    }
    try (EmbeddedDatabase database = starting.join()) {
      assertThat(admitted.get()).as("connections admitted without the password").isZero();
      assertThat(refusedByPassword.get()).isPositive();
      try (Connection c = Connections.open(database.coordinates())) {
        assertThat(c.isValid(2)).isTrue();
      }
    }
  }

  @Test
  @DisplayName("a second podvault on the same data folder exits with 'data folder in use by process N' and touches nothing")
  void secondStartRefused() throws Exception {
    Path data = Files.createDirectories(TestServer.tempDir("podvault-twice").resolve("data"));
    ChildServer first = ChildServer.start(vertx, data, Map.of());
    try {
      String password = Files.readString(data.resolve("db-password"));
      String postmaster = Files.readAllLines(data.resolve("postgres/postmaster.pid")).get(0);
      assertThatThrownBy(() -> ChildServer.start(vertx, data, Map.of()))
        .hasMessageContaining("podvault exited with 1");
      assertThat(Files.readString(data.resolveSibling("data.log"))).contains("data folder in use by process " + first.pid());

      assertThat(Files.readString(data.resolve("db-password"))).isEqualTo(password);
      assertThat(Files.readString(data.resolve(DataFolder.LOCK_FILE)).trim()).isEqualTo(Long.toString(first.pid()));
      assertThat(Files.readAllLines(data.resolve("postgres/postmaster.pid")).get(0)).isEqualTo(postmaster);
      assertThat(ProcessHandle.of(Long.parseLong(postmaster)).map(ProcessHandle::isAlive)).contains(true);
      String token = first.adminToken();
      assertThat(result(first.client.get("/api/auth/me").bearerTokenAuthentication(token).send()).statusCode()).isEqualTo(200);
      assertThat(result(first.client.post("/api/data/backup_server").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("database_pass", password.trim()))).bodyAsString())
        .contains("-- podvault trailer: ");
    } finally {
      first.kill();
    }
    // The kernel released the killed process's lock: the next start takes the folder and its orphaned database.
    ChildServer next = ChildServer.start(vertx, data, Map.of());
    assertThat(next.stop()).isIn(0, 143);
  }

  @Test
  @DisplayName("an upload being stored for a restore is readable by podvault's user only")
  void uploadsArePrivate() throws Exception {
    TestServer server = result(TestServer.start(vertx));
    try {
      String token = result(server.adminToken());
      HttpClient http = vertx.createHttpClient();
      HttpClientRequest upload = result(http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
        .setPort(server.podvault.httpPort()).setURI("/api/data/restore_server")
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "multipart/form-data; boundary=XyZ")));
      upload.setChunked(true);
      result(upload.write(Buffer.buffer("--XyZ\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"b.sql\"\r\n"
        + "Content-Type: application/sql\r\n\r\n-- podvault server backup\n" + "x".repeat(300_000))));
      Path restoreDir = server.podvault.dataDir().resolve("restore");
      Await.until("the upload to be stored", () -> {
        try (var files = Files.list(restoreDir)) {
          return files.findAny().isPresent();
        } catch (Exception e) {
          return false;
        }
      });
      try (var files = Files.list(restoreDir)) {
        for (Path stored : files.toList()) {
          assertThat(permissions(stored)).as(stored.toString()).isEqualTo("rw-------");
        }
      }
      assertThat(permissions(restoreDir)).isEqualTo("rwx------");
      upload.reset();
      result(http.close());
    } finally {
      result(server.stop());
    }
  }

  @Test
  @DisplayName("a file written durably replaces the old one whole, private from its creation, leaving no temporary file")
  void durableWrite() throws Exception {
    Path dir = TestServer.tempDir("podvault-durable-write");
    Path file = dir.resolve("kept");
    DataFolder.writeDurably(file, "first\n");
    DataFolder.writeDurably(file, "second\n");
    assertThat(Files.readString(file)).isEqualTo("second\n");
    assertThat(permissions(file)).isEqualTo("rw-------");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).isEqualTo(List.of("kept"));
    }
  }

  @Test
  @DisplayName("a data folder already held in this process is refused too, without dropping the holder's lock")
  void heldInThisProcess() throws Exception {
    Path dir = TestServer.tempDir("podvault-held");
    try (DataFolder held = DataFolder.lock(dir)) {
      assertThatThrownBy(() -> DataFolder.lock(dir)).isInstanceOf(DataFolder.InUseException.class)
        .hasMessageContaining("data folder in use by process " + ProcessHandle.current().pid());
      assertThat(held.path()).isEqualTo(dir.toAbsolutePath());
    }
    DataFolder.lock(dir).close();
  }
}
