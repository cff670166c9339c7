package io.podvault.restore;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import io.podvault.job.JobStore;
import io.podvault.job.JobVerticle;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A restore's job lock and job record, when sessions end and processes die")
class RestoreLockTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
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

  private static Map<String, String> checksums(DbCoordinates db) throws Exception {
    try (Connection c = Connections.open(db)) {
      return PinePodsData.tableChecksums(c, "public");
    }
  }

  private static long count(DbCoordinates db, String sql) throws Exception {
    try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The session that holds the job lock, as pg_locks shows a bigint advisory key. */
  private static long lockHolder(DbCoordinates db) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
          + "AND classid::bigint = x'706F6476'::bigint AND objid::bigint = x'61756C74'::bigint")) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("nobody took the job lock");
  }

  private static void waitForLoading(DbCoordinates db) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (count(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
      + "AND query LIKE 'COPY \"podvault_restore_%'") == 0) {
      assertThat(System.currentTimeMillis()).as("waiting for rows to load").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  @DisplayName("a restore whose lock session ends never swaps; another process's restore loads in a schema of its own and wins")
  void lostLockNeverSwaps() throws Exception {
    TestServer first = result(TestServer.start(vertx));
    DbCoordinates db = first.db;
    // A Vert.x of its own, as another process would have: job requests go to whichever job verticle takes them.
    Vertx otherProcess = Vertx.vertx();
    TestServer second = result(TestServer.start(otherProcess, db, Map.of()));
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fillLarge(c, 60_000, 120_000);
      }
      String admin = result(first.adminToken());
      Path backupA = dir.resolve("a.sql");
      assertThat(result(first.downloadBackup(admin, DB_PASSWORD, backupA)).statusCode()).isEqualTo(200);
      TestPostgres.execute(db, "DELETE FROM \"UserEpisodeHistory\" WHERE userepisodehistoryid % 3 = 0");
      Path backupB = dir.resolve("b.sql");
      assertThat(result(first.downloadBackup(admin, DB_PASSWORD, backupB)).statusCode()).isEqualTo(200);
      Map<String, String> dataB = checksums(db);
      TestPostgres.execute(db, "DELETE FROM \"UserEpisodeHistory\" WHERE userepisodehistoryid % 3 = 1");

      var uploadA = first.uploadRestore(admin, backupA, DB_PASSWORD);
      waitForLoading(db);
      TestPostgres.execute(db, "SELECT pg_terminate_backend(" + lockHolder(db) + ")");
      HttpResponse<Buffer> acceptedA = result(uploadA);
      assertThat(acceptedA.statusCode()).isEqualTo(202);

      String adminOnSecond = result(second.adminToken());
      HttpResponse<Buffer> acceptedB = result(second.uploadRestore(adminOnSecond, backupB, DB_PASSWORD));
      assertThat(acceptedB.statusCode()).as("the lock is free once its session ended: " + acceptedB.bodyAsString()).isEqualTo(202);

      JsonObject jobA = first.awaitJob(admin, acceptedA.bodyAsJsonObject().getString("job_id"));
      JsonObject jobB = second.awaitJob(adminOnSecond, acceptedB.bodyAsJsonObject().getString("job_id"));
      assertThat(jobB.getString("state")).as(jobB.encode()).isEqualTo("succeeded");
      assertThat(jobA.getString("state")).as(jobA.encode()).isEqualTo("failed");
      assertThat(jobA.getString("error")).startsWith("the restore failed and the data was left as it was before")
        .contains("held the job lock");
      assertThat(checksums(db)).isEqualTo(dataB);
      assertThat(count(db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_re%'")).as("no shadow left").isZero();
    } finally {
      result(second.stop());
      result(otherProcess.close());
      result(first.stop());
    }
  }

  @Test
  @DisplayName("a server killed after the swap committed reports the restore as succeeded at its next start, and then drops the replaced data")
  void recordTellsTheTruthAfterACrash() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    Migrations.migrate(db, SchemaCheck.adoption(db));
    UUID job = UUID.randomUUID();
    new JobStore(db).insert(job, "restore", "admin", new JsonObject().put("state", "running"));
    String shadow = ShadowLoader.schemaOf(job);
    Migrations.migrateAppSchema(db, shadow, MigrationVersion.LATEST);
    TestPostgres.execute(db, "INSERT INTO \"" + shadow + "\".\"Users\" (username, hashed_pw) VALUES ('restored-user', 'x')");

    try (Connection lock = Connections.open(db)) {
      assertThat(JobLock.tryAcquire(lock)).isTrue();
      SchemaSwap.swap(lock, shadow, io.podvault.dump.SchemaCheck.of(db), "a new signing key", job);
    } // the process dies here: nothing after the swap ran, not even the drop of the replaced data

    Config config = TestServer.config(db, Map.of());
    String deployment = result(vertx.deployVerticle(new JobVerticle(), new DeploymentOptions()
      .setThreadingModel(ThreadingModel.WORKER)
      .setConfig(new JsonObject().put("config", config.toJson()).put("db", db.toJson()))));
    try {
      try (Connection c = Connections.open(db); ResultSet rs = c.createStatement().executeQuery(
        "SELECT state, error FROM podvault.jobs WHERE id = '" + job + "'")) {
        rs.next();
        assertThat(rs.getString("state")).isEqualTo("succeeded");
        assertThat(rs.getString("error")).isNull();
      }
      assertThat(count(db, "SELECT count(*) FROM \"Users\" WHERE username = 'restored-user'")).isEqualTo(1);
      assertThat(count(db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'podvault_re%'")).as("replaced data dropped").isZero();
    } finally {
      result(vertx.undeploy(deployment));
    }
  }
}
