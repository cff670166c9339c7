package io.podvault.cluster;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.support.ChildServer;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Clustered mode: three processes on one database, one Vert.x cluster")
class ClusterTest {

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

  private List<ChildServer> startNodes(DbCoordinates db) throws Exception {
    return ChildServer.startCluster(vertx, db, dir, 3);
  }

  private static Path download(ChildServer node, String token, Path file) throws Exception {
    HttpResponse<Buffer> download = result(node.client.post("/api/data/backup_server").bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject().put("database_pass", TestPostgres.PASSWORD)));
    assertThat(download.statusCode()).isEqualTo(200);
    return Files.write(file, download.body().getBytes());
  }

  private static io.vertx.core.Future<HttpResponse<Buffer>> upload(ChildServer node, String token, Path backup) {
    return node.client.post("/api/data/restore_server").bearerTokenAuthentication(token)
      .sendMultipartForm(MultipartForm.create().attribute("database_pass", TestPostgres.PASSWORD)
        .binaryFileUpload("backup_file", "server_backup.sql", backup.toString(), "application/sql"));
  }

  /** An administrator's socket on {@code node}, collecting what it is sent. */
  private static List<JsonObject> adminSocket(ChildServer node) throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket socket = result(vertx.createWebSocketClient().connect(node.port, "localhost", "/ws"));
    socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
    socket.writeTextMessage(new JsonObject().put("type", "auth").put("token", node.adminToken()).encode());
    Thread.sleep(500);
    return frames;
  }

  @Test
  @DisplayName("a restore through node 1: an admin socket on node 3 sees its progress in order and the sign-out; a token "
    + "of node 2 is refused everywhere after it; a write to node 3 during the swap gets 503; a node whose backup folder is not the shared one does not start")
  void restoreSeenByEveryNode() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    List<ChildServer> nodes = startNodes(db);
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fill(c, 21);
      }
      ChildServer first = nodes.get(0);
      String adminOnFirst = first.adminToken();
      Path backup = download(first, adminOnFirst, dir.resolve("cluster.sql"));

      String tokenOfSecond = nodes.get(1).adminToken();
      ChildServer third = nodes.get(2);
      String adminOnThird = third.adminToken();
      List<JsonObject> frames = adminSocket(third);

      String jobId;
      try (Connection reader = Connections.open(db)) {
        // A reader that holds a live table keeps the swap waiting, long enough to write to node 3 meanwhile.
        reader.setAutoCommit(false);
        reader.createStatement().execute("LOCK TABLE \"Users\" IN ACCESS SHARE MODE");
        HttpResponse<Buffer> accepted = result(upload(first, adminOnFirst, backup));
        assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
        jobId = accepted.bodyAsJsonObject().getString("job_id");
        long swapDeadline = System.currentTimeMillis() + 60_000;
        while (count(db, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'LOCK TABLE \"public\"%'") == 0) {
          assertThat(System.currentTimeMillis()).as("waiting for node 1's swap").isLessThan(swapDeadline);
          Thread.sleep(5);
        }
        HttpResponse<Buffer> write = result(third.client.post("/api/keys").bearerTokenAuthentication(adminOnThird).send());
        assertThat(write.statusCode()).as("a write to node 3 during node 1's swap: " + write.bodyAsString()).isEqualTo(503);
        assertThat(write.bodyAsJsonObject().getString("code")).isEqualTo("restore_swapping");
        reader.rollback();
      }

      long deadline = System.currentTimeMillis() + 60_000;
      while (frames.stream().noneMatch(f -> "signout".equals(f.getString("type")))) {
        assertThat(System.currentTimeMillis()).as("waiting for node 3's socket to be signed out: " + frames).isLessThan(deadline);
        Thread.sleep(20);
      }
      List<JsonObject> ofJob = frames.stream()
        .filter(f -> "job".equals(f.getString("type")) && jobId.equals(f.getString("job_id"))).toList();
      List<String> phases = ofJob.stream().map(f -> f.getString("phase")).distinct().toList();
      assertThat(phases).as("node 3 saw the restore on node 1").contains("validating", "swapping");
      assertThat(Arrays.stream(Phase.values()).map(Phase::wireName).toList()).as("phase by phase, in order: " + phases)
        .containsSubsequence(phases);
      for (int i = 1; i < ofJob.size(); i++) {
        if (ofJob.get(i).getString("phase").equals(ofJob.get(i - 1).getString("phase"))) {
          assertThat(ofJob.get(i).getLong("rows_done", 0L)).as("rows never go back").isGreaterThanOrEqualTo(ofJob.get(i - 1).getLong("rows_done", 0L));
        }
      }
      JsonObject last = frames.get(frames.size() - 1);
      assertThat(last.getString("type")).as("the sign-out comes last").isEqualTo("signout");
      assertThat(frames.stream().filter(f -> "signout".equals(f.getString("type"))).count()).as("once").isEqualTo(1);
      for (ChildServer node : nodes) {
        assertThat(result(node.client.get("/api/auth/me").bearerTokenAuthentication(tokenOfSecond).send()).statusCode())
          .as("node 2's token on node " + node.port).isEqualTo(401);
      }
      try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery(
        "SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE 'podvault node %'")) {
        List<String> names = new ArrayList<>();
        while (rs.next()) {
          names.add(rs.getString(1));
        }
        assertThat(names).as("every node's connections carry its name").hasSize(3)
          .allMatch(name -> name.matches("podvault node 127\\.0\\.0\\.1:\\d+"));
      }
      assertThat(Files.readString(dir.resolve("node-1.log"))).as("the other nodes' sessions are podvault's own, not ended")
        .doesNotContain("Ended other applications' sessions");

      int port = ChildServer.freePort();
      Path ownData = dir.resolve("node-4");
      assertThatThrownBy(() -> ChildServer.start(vertx, ownData, ChildServer.clusterEnv(db, port, "127.0.0.1:" + port, dir.resolve("own-backups"))))
        .hasMessageContaining("exited with 1");
      assertThat(Files.readString(dir.resolve("node-4.log"))).contains("is not the one the other nodes on this database share");
    } finally {
      for (ChildServer node : nodes) {
        node.stop();
      }
    }
  }

  @Test
  @DisplayName("kill -9 of the node running a restore: the survivors report it failed, the data is unchanged, and a "
    + "retry through another node succeeds")
  void nodeKilledMidRestore() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    List<ChildServer> nodes = startNodes(db);
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fillLarge(c, 20_000, 400_000);
      }
      ChildServer first = nodes.get(0);
      String admin = first.adminToken();
      Path backup = download(first, admin, dir.resolve("large.sql"));
      TestPostgres.execute(db, "DELETE FROM \"UserEpisodeHistory\" WHERE userepisodehistoryid % 2 = 0");
      Map<String, String> before = PinePodsData.checksums(db);
      List<JsonObject> frames = adminSocket(nodes.get(2));

      upload(first, admin, backup);
      long deadline = System.currentTimeMillis() + 120_000;
      while (count(db, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY \"podvault_restore_%'") == 0) {
        assertThat(System.currentTimeMillis()).as("waiting for node 1 to load rows").isLessThan(deadline);
        Thread.sleep(5);
      }
      String jobId = frames.stream().filter(f -> "job".equals(f.getString("type")) && "restore".equals(f.getString("kind")))
        .map(f -> f.getString("job_id")).findFirst().orElseThrow();
      long killedAt = System.nanoTime();
      first.kill();
      while (frames.stream().noneMatch(f -> jobId.equals(f.getString("job_id")) && "failed".equals(f.getString("state")))) {
        assertThat(System.currentTimeMillis()).as("waiting for a survivor to report the job failed").isLessThan(deadline + 60_000);
        Thread.sleep(20);
      }
      System.out.printf("A survivor reported the killed node's restore failed %.1f s after the kill%n",
        (System.nanoTime() - killedAt) / 1e9);
      JsonObject failed = frames.stream().filter(f -> jobId.equals(f.getString("job_id")) && "failed".equals(f.getString("state")))
        .findFirst().orElseThrow();
      assertThat(failed.getString("error")).contains("stopped");
      assertThat(PinePodsData.checksums(db)).as("the data is unchanged").isEqualTo(before);
      assertThat(count(db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_restore_%'")).as("no shadow left").isZero();

      ChildServer second = nodes.get(1);
      String adminOnSecond = second.adminToken();
      HttpResponse<Buffer> retried = result(upload(second, adminOnSecond, backup));
      assertThat(retried.statusCode()).as(retried.bodyAsString()).isEqualTo(202);
      while (count(db, "SELECT count(*) FROM podvault.jobs WHERE id = '" + retried.bodyAsJsonObject().getString("job_id")
        + "' AND state = 'succeeded'") == 0) {
        assertThat(System.currentTimeMillis()).as("waiting for the retry").isLessThan(deadline + 180_000);
        Thread.sleep(100);
      }
      assertThat(PinePodsData.checksums(db)).isNotEqualTo(before);
    } finally {
      for (ChildServer node : nodes) {
        node.kill();
      }
    }
  }

  private static long count(DbCoordinates db, String sql) throws Exception {
    try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
