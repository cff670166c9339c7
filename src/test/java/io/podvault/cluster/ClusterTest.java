package io.podvault.cluster;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.job.JobVerticle;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Clustered mode: three processes on one database, one Vert.x cluster")
class ClusterTest {

  private static Vertx vertx;

  @TempDir
  Path dir;

  /** A failure also shows the end of each node's log, so that a failure on a CI machine can be read from its output. */
  @RegisterExtension
  final TestExecutionExceptionHandler withNodeLogs = (context, failure) -> {
    throw new AssertionError(failure.getMessage() + "\n" + logTails(), failure);
  };

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

  private static HttpResponse<Buffer> login(ChildServer node, String user, String password) {
    return result(node.client.post("/api/auth/login").sendJsonObject(new JsonObject().put("username", user).put("password", password)));
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
  @DisplayName("every node starts jobs; wrong passwords spread over the nodes are limited as one; a restore through node 1: "
    + "an admin socket on node 3 sees its progress in order and the sign-out; a token of node 2 is refused everywhere after "
    + "it; a write to node 3 during the swap gets 503; a node whose backup folder is not the shared one does not start; "
    + "a node that stops is not fenced")
  void restoreSeenByEveryNode() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    List<ChildServer> nodes = startNodes(db);
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fill(c, 21);
      }
      for (ChildServer node : nodes) {
        HttpResponse<Buffer> started = result(node.client.post("/api/data/manual_backup_to_directory")
          .bearerTokenAuthentication(node.adminToken()).send());
        assertThat(started.statusCode()).as("every node, seeing all three, starts jobs: " + started.bodyAsString()).isEqualTo(202);
        waitForState(db, started.bodyAsJsonObject().getString("job_id"), "succeeded");
      }
      ChildServer first = nodes.get(0);
      String adminOnFirst = first.adminToken();
      HttpResponse<Buffer> created = result(first.client.post("/api/admin/users").bearerTokenAuthentication(adminOnFirst)
        .sendJsonObject(new JsonObject().put("username", "spread").put("password", "spread-password")));
      assertThat(created.statusCode()).as(created.bodyAsString()).isBetween(200, 201);
      for (int i = 0; i < 10; i++) {
        assertThat(login(nodes.get(i % 3), "spread", "guess-" + i).statusCode()).as("wrong password %d", i).isEqualTo(401);
      }
      for (ChildServer node : nodes) {
        assertThat(login(node, "spread", "spread-password").statusCode())
          .as("ten wrong passwords spread over three nodes limit the user on every node").isEqualTo(429);
      }
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
          .allMatch(name -> name.matches("podvault node [0-9a-f]{8} 127\\.0\\.0\\.1:\\d+"));
      }
      assertThat(Files.readString(dir.resolve("node-1.log"))).as("the other nodes' sessions are podvault's own, not ended")
        .doesNotContain("Ended other applications' sessions");

      int port = ChildServer.freePort();
      Path ownData = dir.resolve("node-4");
      assertThatThrownBy(() -> ChildServer.start(vertx, ownData, ChildServer.clusterEnv(db, port, "127.0.0.1:" + port, dir.resolve("own-backups"))))
        .hasMessageContaining("exited with 1");
      assertThat(Files.readString(dir.resolve("node-4.log"))).contains("is not the one the other nodes on this database share");

      nodes.get(1).stop();
      long leftDeadline = System.currentTimeMillis() + 60_000;
      while (!Files.readString(dir.resolve("node-1.log")).contains("left the cluster cleanly")) {
        assertThat(System.currentTimeMillis()).as("waiting for node 1 to see node 2 leave").isLessThan(leftDeadline);
        Thread.sleep(100);
      }
      for (String log : List.of("node-1.log", "node-3.log")) {
        assertThat(Files.readString(dir.resolve(log))).as("a node that stops is not fenced").doesNotContain("vanished");
      }
    } finally {
      for (ChildServer node : nodes) {
        node.stop();
      }
      keepLogs("restoreSeenByEveryNode");
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
      waitForState(db, retried.bodyAsJsonObject().getString("job_id"), "succeeded");
      assertThat(PinePodsData.checksums(db)).isNotEqualTo(before);

      Path uploads = dir.resolve("node-1").resolve(JobVerticle.RESTORE_DIR);
      try (var left = Files.list(uploads)) {
        assertThat(left.count()).as("the killed node's stored upload is still there").isPositive();
      }
      nodes.set(0, first.restart(vertx));
      try (var left = Files.list(uploads)) {
        assertThat(left.toList()).as("the killed node deleted its stored upload as it started again").isEmpty();
      }
    } finally {
      for (ChildServer node : nodes) {
        node.kill();
      }
      keepLogs("nodeKilledMidRestore");
    }
  }

  @Test
  @DisplayName("a node cut off (SIGSTOP) while its restore waits to swap: the others end its database sessions and report "
    + "the job failed, and once it runs again it cannot swap; a node that sees a minority refuses jobs and fences no one")
  void cutOffNodeCannotSwap() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    List<ChildServer> nodes = startNodes(db);
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fill(c, 22);
      }
      ChildServer first = nodes.get(0);
      String admin = first.adminToken();
      Path backup = download(first, admin, dir.resolve("cut-off.sql"));
      TestPostgres.execute(db, "DELETE FROM \"UserEpisodeHistory\" WHERE userepisodehistoryid % 2 = 0");
      Map<String, String> before = PinePodsData.checksums(db);
      List<JsonObject> frames = adminSocket(nodes.get(2));

      String jobId;
      String firstSessions;
      try (Connection reader = Connections.open(db)) {
        // A reader on a live table keeps node 1's swap waiting, with the job lock held, when node 1 is cut off.
        reader.setAutoCommit(false);
        reader.createStatement().execute("LOCK TABLE \"Users\" IN ACCESS SHARE MODE");
        HttpResponse<Buffer> accepted = result(upload(first, admin, backup));
        assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
        jobId = accepted.bodyAsJsonObject().getString("job_id");
        firstSessions = waitForSwap(db);
        first.suspend();
        long cutAt = System.nanoTime();
        long deadline = System.currentTimeMillis() + 90_000;
        while (frames.stream().noneMatch(f -> jobId.equals(f.getString("job_id")) && "failed".equals(f.getString("state")))) {
          assertThat(System.currentTimeMillis()).as("waiting for the others to report node 1's job failed").isLessThan(deadline);
          Thread.sleep(20);
        }
        System.out.printf("The other nodes reported the cut-off node's restore failed %.1f s after it was cut off%n",
          (System.nanoTime() - cutAt) / 1e9);
        assertThat(count(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + firstSessions + "'"))
          .as("node 1's database sessions were ended").isZero();
        String fenced = "Node " + firstSessions + " vanished from the cluster without leaving it; ended its";
        assertThat(Files.readString(dir.resolve("node-2.log")) + Files.readString(dir.resolve("node-3.log"))).contains(fenced);
        reader.rollback();
      }
      first.resume();
      long deadline = System.currentTimeMillis() + 60_000;
      while (!Files.readString(dir.resolve("node-1.log")).contains("Restore " + jobId + " failed")) {
        assertThat(System.currentTimeMillis()).as("waiting for node 1, running again, to fail its restore").isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(PinePodsData.checksums(db)).as("node 1 did not swap").isEqualTo(before);
      assertThat(count(db, "SELECT count(*) FROM podvault.jobs WHERE id = '" + jobId + "' AND state = 'failed'")).isOne();

      nodes.get(1).kill();
      nodes.get(2).kill();
      HttpResponse<Buffer> refused;
      do {
        assertThat(System.currentTimeMillis()).as("waiting for node 1, alone, to refuse jobs").isLessThan(deadline + 60_000);
        Thread.sleep(200);
        refused = result(first.client.post("/api/data/manual_backup_to_directory").bearerTokenAuthentication(first.adminToken()).send());
      } while (refused.statusCode() != 503);
      assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("cluster_minority");
      assertThat(refused.bodyAsJsonObject().getString("error")).contains("sees 1 of the cluster's 3 members");
      while (!Files.readString(dir.resolve("node-1.log")).contains("so it leaves that node's database sessions alone")) {
        assertThat(System.currentTimeMillis()).as("waiting for node 1 to decide on the nodes it lost").isLessThan(deadline + 90_000);
        Thread.sleep(100);
      }
      assertThat(Files.readString(dir.resolve("node-1.log"))).as("a minority fences no one")
        .doesNotContain("without leaving it; ended its");
    } finally {
      for (ChildServer node : nodes) {
        node.kill();
      }
      keepLogs("cutOffNodeCannotSwap");
    }
  }

  /** The nodes' logs of the last run of {@code test}, kept in {@code target/cluster-logs} to read after a failure. */
  private void keepLogs(String test) throws Exception {
    Path kept = Path.of("target", "cluster-logs", test);
    Files.createDirectories(kept);
    try (var logs = Files.list(dir)) {
      for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
        Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private String logTails() throws Exception {
    StringBuilder tails = new StringBuilder();
    try (var logs = Files.list(dir)) {
      for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log).stream()
          .filter(line -> line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d+ .*") && !line.contains("Ignoring heartbeat")).toList();
        tails.append("--- the end of ").append(log.getFileName()).append(":\n");
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(line -> tails.append(line).append('\n'));
      }
    }
    return tails.toString();
  }

  /** Waits until a restore's swap waits for the live tables' locks; the session name of the node that swaps. */
  private static String waitForSwap(DbCoordinates db) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery("SELECT application_name "
        + "FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'LOCK TABLE \"public\"%'")) {
        if (rs.next()) {
          return rs.getString(1);
        }
      }
      assertThat(System.currentTimeMillis()).as("waiting for the swap").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private static void waitForState(DbCoordinates db, String job, String state) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (count(db, "SELECT count(*) FROM podvault.jobs WHERE id = '" + job + "' AND state = '" + state + "'") == 0) {
      assertThat(System.currentTimeMillis()).as("waiting for job " + job + " to be " + state).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static long count(DbCoordinates db, String sql) throws Exception {
    try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
