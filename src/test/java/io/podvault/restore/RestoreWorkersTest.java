package io.podvault.restore;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.ConfigKeys;
import io.podvault.db.Connections;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Restore workers: restore_workers connections, each with restore_sort_memory_mb to sort in")
class RestoreWorkersTest {

  private Vertx vertx;

  @BeforeEach
  void createVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void closeVertx() {
    result(vertx.close());
  }

  @ParameterizedTest(name = "restore_workers = {0}")
  @ValueSource(ints = {1, 3})
  @DisplayName("a restore on one connection or on three gives back the backup's data")
  void restoreOnConfiguredConnections(int workers, @TempDir Path dir) throws Exception {
    TestServer server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of(
      ConfigKeys.RESTORE_WORKERS, workers, ConfigKeys.RESTORE_SORT_MEMORY_MB, 64)));
    try {
      try (Connection c = Connections.open(server.db)) {
        PinePodsData.fill(c, 11);
      }
      String admin = result(server.adminToken());
      Path backup = dir.resolve("server_backup.sql");
      assertThat(result(server.downloadBackup(admin, TestPostgres.PASSWORD, backup)).statusCode()).isEqualTo(200);
      Map<String, String> atBackup = checksums(server);
      try (Connection c = Connections.open(server.db)) {
        c.createStatement().execute("DELETE FROM \"UserEpisodeHistory\"");
        c.createStatement().execute("UPDATE \"Episodes\" SET episodetitle = 'changed after the backup'");
      }
      assertThat(checksums(server)).isNotEqualTo(atBackup);

      HttpResponse<Buffer> accepted = result(server.uploadRestore(admin, backup, TestPostgres.PASSWORD));
      assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
      JsonObject job = server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id"));
      assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
      assertThat(checksums(server)).isEqualTo(atBackup);
    } finally {
      result(server.stop());
    }
  }

  @Test
  @DisplayName("a loader connection sorts in the memory it is opened with, and its commits do not wait for the disk")
  void loaderConnectionHasItsSortMemory() throws Exception {
    try (Connection c = Connections.openLoader(TestPostgres.freshDatabase(), 77)) {
      assertThat(setting(c, "maintenance_work_mem")).isEqualTo("77MB");
      assertThat(setting(c, "max_parallel_maintenance_workers")).isEqualTo("0");
      assertThat(setting(c, "synchronous_commit")).isEqualTo("off");
    }
  }

  private static Map<String, String> checksums(TestServer server) throws Exception {
    try (Connection c = Connections.open(server.db)) {
      return PinePodsData.tableChecksums(c, "public");
    }
  }

  private static String setting(Connection c, String name) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery("SHOW " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
