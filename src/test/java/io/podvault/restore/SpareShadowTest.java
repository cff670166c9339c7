package io.podvault.restore;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.support.Await;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The spare shadow schema: built ahead of a restore, taken by it, and only ever a shortcut")
class SpareShadowTest {

  private Vertx vertx;
  private TestServer server;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of()));
  }

  @AfterEach
  void stop() {
    result(server.stop());
    result(vertx.close());
  }

  @Test
  @DisplayName("a restore takes the spare built at start, the restored schema is the migrations' own, and a new spare follows")
  void restoreTakesTheSpare(@TempDir Path dir) throws Exception {
    String first = awaitSpare();
    List<String> migrated;
    try (Connection c = Connections.open(server.db)) {
      migrated = PinePodsData.schemaFacts(c, Migrations.APP_SCHEMA);
      PinePodsData.fill(c, 23);
    }
    Map<String, String> atBackup = checksums();
    Path backup = backupOf(dir);
    try (Connection c = Connections.open(server.db)) {
      c.createStatement().execute("DELETE FROM \"UserEpisodeHistory\"");
    }

    restore(backup);

    assertThat(spares()).as("the spare was taken").doesNotContain(first);
    assertThat(checksums()).isEqualTo(atBackup);
    try (Connection c = Connections.open(server.db)) {
      assertThat(PinePodsData.schemaFacts(c, Migrations.APP_SCHEMA)).as("every key, index and foreign key, valid")
        .isEqualTo(migrated);
      assertThat(count(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'podvault' AND tablename LIKE 'history_podvault_spare_%'"))
        .as("one history table, the new spare's").isEqualTo(1);
    }
    assertThat(awaitSpare()).isNotEqualTo(first);
  }

  @Test
  @DisplayName("a spare dropped by another process (its start drops leftover schemas) leaves the restore to build its own")
  void spareGoneMeansOwnShadow(@TempDir Path dir) throws Exception {
    try (Connection c = Connections.open(server.db)) {
      PinePodsData.fill(c, 29);
    }
    Map<String, String> atBackup = checksums();
    Path backup = backupOf(dir);
    String spare = awaitSpare();
    try (Connection c = Connections.open(server.db)) {
      c.createStatement().execute("DROP SCHEMA " + spare + " CASCADE");
      c.createStatement().execute("DROP TABLE podvault.history_" + spare);
      c.createStatement().execute("UPDATE \"Episodes\" SET episodetitle = 'changed after the backup'");
    }

    restore(backup);

    assertThat(checksums()).isEqualTo(atBackup);
  }

  private String awaitSpare() throws Exception {
    Await.until("a spare shadow schema is ready", () -> {
      try {
        return spares().size() == 1 && spareIsBare(spares().get(0));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    return spares().get(0);
  }

  /** Its tables are there and its indexes gone: built and ready to load. */
  private boolean spareIsBare(String spare) throws Exception {
    try (Connection c = Connections.open(server.db)) {
      return count(c, "SELECT count(*) FROM pg_tables WHERE schemaname = '" + spare + "'") > 0
        && count(c, "SELECT count(*) FROM pg_indexes WHERE schemaname = '" + spare + "'") == 0;
    }
  }

  private List<String> spares() throws Exception {
    List<String> found = new ArrayList<>();
    try (Connection c = Connections.open(server.db);
         ResultSet rs = c.createStatement().executeQuery(
           "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'podvault\\_spare\\_%' ORDER BY 1")) {
      while (rs.next()) {
        found.add(rs.getString(1));
      }
    }
    return found;
  }

  private Path backupOf(Path dir) {
    String admin = result(server.adminToken());
    Path backup = dir.resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(admin, TestPostgres.PASSWORD, backup)).statusCode()).isEqualTo(200);
    return backup;
  }

  private void restore(Path backup) {
    String admin = result(server.adminToken());
    HttpResponse<Buffer> accepted = result(server.uploadRestore(admin, backup, TestPostgres.PASSWORD));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    JsonObject job = server.awaitJob(admin, accepted.bodyAsJsonObject().getString("job_id"));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
  }

  private Map<String, String> checksums() throws Exception {
    try (Connection c = Connections.open(server.db)) {
      return PinePodsData.tableChecksums(c, Migrations.APP_SCHEMA);
    }
  }

  private static long count(Connection c, String sql) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
