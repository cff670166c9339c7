package io.podvault.web;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.db.Connections;
import io.podvault.support.PinePodsData;
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
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("The WebSocket hub at /ws")
class WebSocketHubTest {

  private static Vertx vertx;
  private static TestServer server;
  private static WebSocketClient sockets;
  private static String admin;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
    try (Connection c = Connections.open(server.db)) {
      // Large enough that the history table spans many coalescing intervals at the pace of a slow download
      // (rateBound), so progress within one table can be seen and its rate bounded.
      PinePodsData.fillLarge(c, 20_000, 400_000);
    }
    sockets = vertx.createWebSocketClient();
    admin = result(server.adminToken());
  }

  @AfterAll
  static void stop() {
    result(sockets.close());
    result(server.stop());
    result(vertx.close());
  }

  /** A timestamped frame as one socket saw it. */
  private record Frame(long at, JsonObject body) {
  }

  private static Future<WebSocket> connect(String token, List<Frame> frames) {
    return sockets.connect(server.podvault.httpPort(), "localhost", "/ws").map(ws -> {
      ws.textMessageHandler(text -> frames.add(new Frame(System.currentTimeMillis(), new JsonObject(text))));
      if (token != null) {
        ws.writeTextMessage(new JsonObject().put("type", "auth").put("token", token).encode());
      }
      return ws;
    });
  }

  private static Path download() throws Exception {
    Path file = Files.createTempFile("ws-backup", ".sql");
    assertThat(result(server.downloadBackup(admin, TestPostgres.PASSWORD, file)).statusCode()).isEqualTo(200);
    return file;
  }

  private static void awaitFrame(List<Frame> frames, java.util.function.Predicate<JsonObject> condition) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (frames.stream().noneMatch(f -> condition.test(f.body()))) {
      assertThat(System.currentTimeMillis()).as("waiting for a frame").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  @DisplayName("a socket that does not authenticate, or sends a bad token, is closed")
  void authRequired(VertxTestContext test) {
    Checkpoint silentClosed = test.checkpoint();
    Checkpoint forgedClosed = test.checkpoint();
    Checkpoint garbageClosed = test.checkpoint();
    long started = System.currentTimeMillis();
    connect(null, new CopyOnWriteArrayList<>()).onComplete(test.succeeding(ws -> ws.closeHandler(v -> test.verify(() -> {
      assertThat(ws.closeStatusCode()).isEqualTo((short) 1008);
      assertThat(System.currentTimeMillis() - started).isGreaterThanOrEqualTo(WebSocketHub.AUTH_TIMEOUT_MILLIS - 500);
      silentClosed.flag();
    }))));
    connect("not.a.token", new CopyOnWriteArrayList<>()).onComplete(test.succeeding(ws -> ws.closeHandler(v -> test.verify(() -> {
      assertThat(ws.closeStatusCode()).isEqualTo((short) 1008);
      forgedClosed.flag();
    }))));
    sockets.connect(server.podvault.httpPort(), "localhost", "/ws").onComplete(test.succeeding(ws -> {
      ws.closeHandler(v -> garbageClosed.flag());
      ws.writeTextMessage("{not json");
    }));
  }

  @Test
  @DisplayName("administrators receive a job's events in order, rows never going back, ending in succeeded; two sockets see the same")
  void adminsReceiveJobEvents() throws Exception {
    List<Frame> first = new CopyOnWriteArrayList<>();
    List<Frame> second = new CopyOnWriteArrayList<>();
    String otherAdmin = result(server.userToken(admin, "second-admin", "second-admin-password", true));
    WebSocket a = result(connect(admin, first));
    WebSocket b = result(connect(otherAdmin, second));
    Thread.sleep(300);
    download();
    awaitFrame(first, e -> "succeeded".equals(e.getString("state")));
    awaitFrame(second, e -> "succeeded".equals(e.getString("state")));

    List<JsonObject> events = first.stream().map(Frame::body).toList();
    String jobId = events.get(events.size() - 1).getString("job_id");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.getString("type")).isEqualTo("job");
      assertThat(e.getString("job_id")).isEqualTo(jobId);
      assertThat(e.getString("kind")).isEqualTo("backup");
      assertThat(e.getString("started_by")).isEqualTo("admin");
      assertThat(e.fieldNames()).contains("phase", "table", "table_rows_done", "table_rows_total", "rows_done",
        "rows_total", "tables_done", "tables_total");
    });
    List<JsonObject> dumping = events.stream().filter(e -> "dumping".equals(e.getString("phase"))).toList();
    for (int i = 1; i < dumping.size(); i++) {
      assertThat(dumping.get(i).getLong("rows_done")).isGreaterThanOrEqualTo(dumping.get(i - 1).getLong("rows_done"));
      assertThat(dumping.get(i).getInteger("tables_done")).isGreaterThanOrEqualTo(dumping.get(i - 1).getInteger("tables_done"));
    }
    JsonObject last = events.get(events.size() - 1);
    assertThat(last.getLong("rows_done")).isEqualTo(last.getLong("rows_total")).isGreaterThan(60_000);
    assertThat(last.getInteger("tables_done")).isEqualTo(49);
    assertThat(dumping.stream().map(e -> e.getString("table")).filter(java.util.Objects::nonNull).distinct().count())
      .as("every table shows up at least once").isEqualTo(49);
    assertThat(second.stream().map(Frame::body).filter(e -> jobId.equals(e.getString("job_id"))).map(e -> e.getString("state")))
      .contains("succeeded");
    result(a.close());
    result(b.close());
  }

  @Test
  @DisplayName("progress is coalesced: within a table and phase, events come at most about ten a second")
  void rateBound() throws Exception {
    List<Frame> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = result(connect(admin, frames));
    Thread.sleep(300);
    slowDownload();
    awaitFrame(frames, e -> "succeeded".equals(e.getString("state")));
    int coalescible = 0;
    for (int i = 1; i < frames.size(); i++) {
      JsonObject previous = frames.get(i - 1).body();
      JsonObject current = frames.get(i).body();
      boolean sameStep = java.util.Objects.equals(previous.getString("table"), current.getString("table"))
        && java.util.Objects.equals(previous.getString("phase"), current.getString("phase"))
        && "running".equals(current.getString("state"));
      if (sameStep) {
        coalescible++;
        // The hub's own send times: arrival times also hold the test machine's scheduling delays.
        assertThat(current.getLong(WebSocketHub.SENT_AT) - previous.getLong(WebSocketHub.SENT_AT))
          .as("gap between events %d and %d: %s / %s", i - 1, i, previous.encode(), current.encode())
          .isGreaterThanOrEqualTo(WebSocketHub.MIN_INTERVAL_MILLIS - 5);
      }
    }
    assertThat(coalescible).as("the big tables report progress within themselves").isPositive();
    result(ws.close());
  }

  @Test
  @DisplayName("a socket that joins mid-job first receives the job's latest state")
  void lateJoiner() throws Exception {
    HttpClient http = vertx.createHttpClient();
    HttpClientResponse response = pausedBackup(http);
    String jobId = response.getHeader("X-Podvault-Job");
    Thread.sleep(500);
    List<Frame> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = result(connect(admin, frames));
    awaitFrame(frames, e -> true);
    JsonObject firstFrame = frames.get(0).body();
    assertThat(firstFrame.getString("job_id")).isEqualTo(jobId);
    assertThat(firstFrame.getString("state")).isEqualTo("running");
    assertThat(firstFrame.getString("phase")).isEqualTo("dumping");
    response.handler(b -> { }).resume();
    result(response.end());
    awaitFrame(frames, e -> "succeeded".equals(e.getString("state")));
    result(ws.close());
    result(http.close());
  }

  @Test
  @DisplayName("a normal user receives no job events, but the sign-out of a restore, and is then disconnected")
  void usersGetOnlySignout(VertxTestContext test) throws Exception {
    String user = result(server.userToken(admin, "listener-ws", "listener-ws-password", false));
    List<Frame> userFrames = new CopyOnWriteArrayList<>();
    List<Frame> adminFrames = new CopyOnWriteArrayList<>();
    WebSocket userSocket = result(connect(user, userFrames));
    result(connect(admin, adminFrames));
    Checkpoint closed = test.checkpoint();
    userSocket.closeHandler(v -> closed.flag());
    Thread.sleep(300);
    Path backup = download();
    HttpResponseHolder.accepted = result(server.uploadRestore(admin, backup, TestPostgres.PASSWORD)).bodyAsJsonObject();
    String jobId = HttpResponseHolder.accepted.getString("job_id");
    awaitFrame(adminFrames, e -> "signout".equals(e.getString("type")));
    awaitFrame(userFrames, e -> "signout".equals(e.getString("type")));
    test.verify(() -> {
      assertThat(userFrames).hasSize(1);
      assertThat(userFrames.get(0).body()).isEqualTo(new JsonObject().put("type", "signout").put("reason", "restore").put("job_id", jobId));
      assertThat(adminFrames.stream().map(Frame::body).filter(e -> jobId.equals(e.getString("job_id")))
        .map(e -> e.getString("phase")).distinct().toList())
        .contains("validating", "indexing", "swapping");
    });
    assertThat(test.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    admin = result(server.adminToken());
  }

  @Test
  @DisplayName("a restore made by another process on the database signs this server's sockets out, once")
  void restoreByAnotherProcessSignsOut() throws Exception {
    String user = result(server.userToken(admin, "listener-ws-other", "listener-ws-other-password", false));
    List<Frame> userFrames = new CopyOnWriteArrayList<>();
    WebSocket userSocket = result(connect(user, userFrames));
    // A Vert.x of its own, as another process has: nothing reaches this server but the database's notice.
    Vertx otherProcess = Vertx.vertx();
    TestServer other = result(TestServer.start(otherProcess, server.db, Map.of()));
    try {
      Thread.sleep(300);
      Path backup = download();
      String otherAdmin = result(other.adminToken());
      String jobId = result(other.uploadRestore(otherAdmin, backup, TestPostgres.PASSWORD)).bodyAsJsonObject().getString("job_id");
      awaitFrame(userFrames, e -> "signout".equals(e.getString("type")));
      assertThat(userFrames).extracting(Frame::body)
        .containsExactly(new JsonObject().put("type", "signout").put("reason", "restore").put("job_id", jobId));
      long deadline = System.currentTimeMillis() + 10_000;
      while (!userSocket.isClosed()) {
        assertThat(System.currentTimeMillis()).as("waiting for the socket to close").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(result(server.get("/api/auth/me", user).send()).statusCode()).as("the token ended with the restore").isEqualTo(401);
    } finally {
      result(other.stop());
      result(otherProcess.close());
      admin = result(server.adminToken());
    }
  }

  @Test
  @DisplayName("a socket whose session ends is closed: expired, ended by another process, its user deleted or no longer an administrator; the others stay")
  void endedSessionsAreClosed() throws Exception {
    List<String> ending = List.of("ws-expired", "ws-ended", "ws-deleted", "ws-demoted");
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String name : ending) {
      tokens.put(name, result(server.userToken(admin, name, name + "-password", true)));
    }
    tokens.put("ws-staying", result(server.userToken(admin, "ws-staying", "ws-staying-password", true)));
    HttpClient http = vertx.createHttpClient();
    // A job runs, so each administrator's socket receives its latest state once it has authenticated.
    HttpClientResponse download = pausedBackup(http);
    Map<String, WebSocket> sockets = new LinkedHashMap<>();
    Map<String, Promise<Short>> closes = new LinkedHashMap<>();
    for (Map.Entry<String, String> user : tokens.entrySet()) {
      List<Frame> frames = new CopyOnWriteArrayList<>();
      WebSocket ws = result(connect(user.getValue(), frames));
      Promise<Short> closed = Promise.promise();
      ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
      awaitFrame(frames, e -> "running".equals(e.getString("state")));
      sockets.put(user.getKey(), ws);
      closes.put(user.getKey(), closed);
    }

    try (Connection c = Connections.open(server.db); Statement s = c.createStatement()) {
      s.execute("UPDATE podvault.sessions SET expires_at = now() WHERE user_id = " + userId("ws-expired"));
      s.execute("DELETE FROM podvault.sessions WHERE user_id = " + userId("ws-ended"));
      s.execute("DELETE FROM \"Users\" WHERE username = 'ws-deleted'");
      s.execute("UPDATE \"Users\" SET isadmin = false WHERE username = 'ws-demoted'");
    }
    for (String name : ending) {
      assertThat(result(closes.get(name).future())).as(name + "'s socket is closed").isEqualTo((short) 1008);
    }
    assertThat(sockets.get("ws-staying").isClosed()).as("the checks that closed the others kept this one").isFalse();

    result(sockets.get("ws-staying").close());
    download.handler(b -> { }).resume();
    result(download.end());
    result(http.close());
  }

  /**
   * Downloads a backup taking a dozen buffers every 10 ms: the dump then keeps the client's pace, so that every large
   * table spans many of the hub's intervals, on a fast machine as on a slow one.
   */
  private static void slowDownload() {
    HttpClient http = vertx.createHttpClient();
    try {
      HttpClientResponse response = pausedBackup(http);
      assertThat(response.statusCode()).isEqualTo(200);
      response.handler(buffer -> { });
      long reader = vertx.setPeriodic(10, t -> response.fetch(12));
      try {
        result(response.end());
      } finally {
        vertx.cancelTimer(reader);
      }
    } finally {
      result(http.close());
    }
  }

  /** Starts a backup whose download is not read, so that the job stays running. */
  private static HttpClientResponse pausedBackup(HttpClient http) {
    return result(http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
        .setPort(server.podvault.httpPort()).setURI("/api/data/backup_server")
        .putHeader("Authorization", "Bearer " + admin).putHeader("Content-Type", "application/json"))
      .compose(request -> request.send(new JsonObject().put("database_pass", TestPostgres.PASSWORD).encode())
        .onSuccess(HttpClientResponse::pause)));
  }

  private static int userId(String username) throws Exception {
    try (Connection c = Connections.open(server.db);
         var rs = c.createStatement().executeQuery("SELECT userid FROM \"Users\" WHERE username = '" + username + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The restore's 202 answer, kept for the assertions. */
  private static final class HttpResponseHolder {
    static JsonObject accepted;
  }
}
