package io.podvault.cluster;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.contract.Addresses;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.support.Await;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A job that runs on another node, as this node sees it: its events arrive on the event bus, and its record is in the
 * shared database. The other node is played by the test: it holds the job lock, publishes the job's events and
 * writes its record, and leaves out the event of its end, as the bus can while the cluster's members change.
 */
@DisplayName("The end of another node's job that never arrived on the event bus is taken from the job's record")
class MissedEndTest {

  private static Vertx vertx;
  private static TestServer server;
  private static String admin;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of()));
    admin = result(server.adminToken());
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  @Test
  @DisplayName("a restore ended while swapping: the socket gets its end once, and writes are no longer refused")
  void lostEndIsDelivered() throws Exception {
    List<JsonObject> frames = adminSocket();
    String jobId = otherNodesJob(Phase.SWAPPING, () -> Await.until("the swap's 503 on this node", () -> listBackupFiles() == 503),
      "failed", "the swap could not take its locks", false);
    Await.until("the job's end on the socket", () -> ends(frames, jobId) == 1);
    JsonObject end = frames.stream().filter(f -> jobId.equals(f.getString("job_id")) && "failed".equals(f.getString("state")))
      .findFirst().orElseThrow();
    assertThat(end.getString("error")).isEqualTo("the swap could not take its locks");
    assertThat(listBackupFiles()).as("the swap's gate opened").isEqualTo(200);
    Thread.sleep(7_000); // two more checks
    assertThat(ends(frames, jobId)).as("delivered once").isOne();
  }

  @Test
  @DisplayName("an end that did arrive on the event bus is not delivered a second time")
  void heardEndIsNotRepeated() throws Exception {
    List<JsonObject> frames = adminSocket();
    String jobId = otherNodesJob(Phase.LOADING, () -> { }, "succeeded", null, true);
    Await.until("the job's end on the socket", () -> ends(frames, jobId) == 1);
    Thread.sleep(7_000);
    assertThat(ends(frames, jobId)).as("the end heard on the bus, and not again from the record").isOne();
  }

  private interface Step {
    void run() throws Exception;
  }

  /**
   * Plays another node's restore: holds the job lock, records the job as running in {@code phase} and publishes that,
   * runs {@code whileRunning}, waits until a check of this node has seen the job running, then writes the job's end
   * into its record and releases the lock. The end goes on the event bus too only if {@code endOnBus}. Returns the
   * job's id.
   */
  private static String otherNodesJob(Phase phase, Step whileRunning, String state, String error, boolean endOnBus)
    throws Exception {
    JsonObject running = runningEvent(phase);
    JsonObject end;
    try (Connection otherNode = Connections.open(server.db)) {
      assertThat(JobLock.tryAcquire(otherNode)).isTrue();
      insertRunning(running);
      vertx.eventBus().publish(Addresses.PROGRESS, running);
      whileRunning.run();
      Thread.sleep(4_000); // a check sees the job running
      end = finishRecord(otherNode, running, state, error);
      JobLock.release(otherNode);
    }
    if (endOnBus) {
      vertx.eventBus().publish(Addresses.PROGRESS, end);
    }
    return running.getString("job_id");
  }

  private static JsonObject runningEvent(Phase phase) {
    return new JsonObject().put("type", "job").put("job_id", UUID.randomUUID().toString()).put("kind", "restore")
      .put("state", "running").put("phase", phase.wireName()).put("phase_text", phase.text()).put("started_by", "admin");
  }

  private static void insertRunning(JsonObject event) {
    TestPostgres.execute(server.db, "INSERT INTO podvault.jobs (id, kind, state, started_by, progress) VALUES ('"
      + event.getString("job_id") + "', 'restore', 'running', 'admin', '" + event.encode() + "')");
  }

  /** Writes the job's end into its record, as the node that ran it does, and returns that end's event. */
  private static JsonObject finishRecord(Connection c, JsonObject running, String state, String error) throws Exception {
    JsonObject end = running.copy().put("state", state).put("error", error);
    try (PreparedStatement ps = c.prepareStatement("UPDATE podvault.jobs SET state = ?, error = ?, progress = ?::jsonb, "
      + "finished_at = now() WHERE id = ?::uuid")) {
      ps.setString(1, state);
      ps.setString(2, error);
      ps.setString(3, end.encode());
      ps.setString(4, running.getString("job_id"));
      ps.executeUpdate();
    }
    return end;
  }

  private static List<JsonObject> adminSocket() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket socket = result(vertx.createWebSocketClient().connect(server.podvault.httpPort(), "localhost", "/ws"));
    socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
    socket.writeTextMessage(new JsonObject().put("type", "auth").put("token", admin).encode());
    Thread.sleep(500);
    return frames;
  }

  private static long ends(List<JsonObject> frames, String jobId) {
    return frames.stream().filter(f -> jobId.equals(f.getString("job_id")) && !"running".equals(f.getString("state"))).count();
  }

  /** A request that the swap's gate refuses, as it refuses every one but a GET: the list of the backup folder. */
  private static int listBackupFiles() {
    HttpResponse<Buffer> response = result(server.client.post("/api/data/list_backup_files").bearerTokenAuthentication(admin)
      .send());
    return response.statusCode();
  }
}
