package io.podvault.faults;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.SchemaDrop;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A schema changed by hand: jobs refused with what differs, nothing outside podvault's schemas dropped")
class HandAlteredSchemaTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static Vertx vertx;
  private static TestServer server;
  private static Path backup;

  @TempDir
  Path dir;

  @BeforeAll
  static void start(@TempDir Path shared) {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
    backup = shared.resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(result(server.adminToken()), DB_PASSWORD, backup)).statusCode()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static HttpResponse<Buffer> backup() {
    return result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(result(server.adminToken()))
      .sendJsonObject(new JsonObject().put("database_pass", DB_PASSWORD)));
  }

  private static HttpResponse<Buffer> restore() {
    return result(server.client.post("/api/data/restore_server").bearerTokenAuthentication(result(server.adminToken()))
      .sendMultipartForm(MultipartForm.create().attribute("database_pass", DB_PASSWORD)
        .binaryFileUpload("backup_file", "server_backup.sql", backup.toString(), "application/sql")));
  }

  /** Both jobs are refused with 409 schema_mismatch and a message naming {@code difference}. */
  private static void refusedNaming(String difference) {
    for (HttpResponse<Buffer> response : new HttpResponse[] {backup(), restore()}) {
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(409);
      assertThat(response.getHeader("Content-Disposition")).isNull();
      JsonObject body = response.bodyAsJsonObject();
      assertThat(body.getString("code")).isEqualTo("schema_mismatch");
      assertThat(body.getString("error")).startsWith("the database schema differs from podvault's migrations")
        .contains(difference);
    }
  }

  private static boolean exists(String sql) throws Exception {
    try (Connection c = Connections.open(server.db); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  @Test
  @DisplayName("a column added by hand: backup and restore get 409 naming it, a server still starts; once it is gone, both work again")
  void addedColumn() {
    TestPostgres.execute(server.db, "ALTER TABLE \"Users\" ADD COLUMN nickname text");
    refusedNaming("column \"Users\".\"nickname\" is not in podvault's schema");
    Vertx otherProcess = Vertx.vertx();
    TestServer another = result(TestServer.start(otherProcess, server.db, java.util.Map.of()));
    try {
      assertThat(result(another.client.get("/health").send()).statusCode()).as("a server still starts on it").isEqualTo(200);
    } finally {
      result(another.stop());
      result(otherProcess.close());
    }
    TestPostgres.execute(server.db, "ALTER TABLE \"Users\" DROP COLUMN nickname");
    assertThat(backup().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a schema a newer podvault migrated (a rolling upgrade): jobs get 409 node_outdated, requests are still served")
  void newerSchema() {
    String admin = result(server.adminToken());
    TestPostgres.execute(server.db, "ALTER TABLE \"Users\" ADD COLUMN newer_feature text");
    TestPostgres.execute(server.db, "INSERT INTO podvault.history_public (installed_rank, version, description, type, script, "
      + "checksum, installed_by, execution_time, success) SELECT max(installed_rank) + 1, '999', 'newer feature', 'SQL', "
      + "'V999__newer_feature.sql', 0, current_user, 0, true FROM podvault.history_public");
    try {
      for (HttpResponse<Buffer> response : new HttpResponse[] {backup(), restore()}) {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(409);
        JsonObject body = response.bodyAsJsonObject();
        assertThat(body.getString("code")).isEqualTo("node_outdated");
        assertThat(body.getString("error")).contains("version 999").contains("upgrade this node");
      }
      assertThat(result(server.get("/api/auth/me", admin).send()).statusCode()).as("requests are served").isEqualTo(200);
    } finally {
      TestPostgres.execute(server.db, "DELETE FROM podvault.history_public WHERE version = '999'");
      TestPostgres.execute(server.db, "ALTER TABLE \"Users\" DROP COLUMN newer_feature");
    }
    assertThat(backup().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("an index added and a column changed by hand are both named")
  void addedIndexAndChangedColumn() {
    TestPostgres.execute(server.db, "CREATE INDEX users_by_email ON \"Users\" (email)");
    TestPostgres.execute(server.db, "ALTER TABLE \"Users\" ALTER COLUMN fullname TYPE text");
    refusedNaming("index \"users_by_email\" is not in podvault's schema");
    refusedNaming("column \"Users\".\"fullname\" is text where podvault's is character varying(255)");
    TestPostgres.execute(server.db, "DROP INDEX users_by_email");
    TestPostgres.execute(server.db, "ALTER TABLE \"Users\" ALTER COLUMN fullname TYPE character varying(255)");
    assertThat(backup().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a table added by hand is named and survives: no restore swaps it out of sight")
  void addedTable() throws Exception {
    TestPostgres.execute(server.db, "CREATE TABLE my_notes (id int PRIMARY KEY, note text)");
    TestPostgres.execute(server.db, "INSERT INTO my_notes VALUES (1, 'keep me')");
    refusedNaming("table \"my_notes\" is not in podvault's schema");
    assertThat(exists("SELECT EXISTS (SELECT 1 FROM public.my_notes WHERE note = 'keep me')")).isTrue();
    TestPostgres.execute(server.db, "DROP TABLE my_notes");
  }

  @Test
  @DisplayName("a view in another schema built on podvault's tables is named, and survives")
  void viewInAnotherSchema() throws Exception {
    TestPostgres.execute(server.db, "CREATE SCHEMA reporting");
    TestPostgres.execute(server.db, "CREATE VIEW reporting.admins AS SELECT username FROM public.\"Users\" WHERE isadmin");
    refusedNaming("view reporting.admins (outside schema public) depends on podvault's tables");
    assertThat(exists("SELECT EXISTS (SELECT 1 FROM pg_views WHERE schemaname = 'reporting' AND viewname = 'admins')")).isTrue();
    TestPostgres.execute(server.db, "DROP SCHEMA reporting CASCADE");
    assertThat(backup().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("one of podvault's own schemas is not dropped while a view or foreign key elsewhere depends on it")
  void dropNeverCascadesOutside() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    TestPostgres.execute(db, "CREATE SCHEMA podvault_replaced");
    TestPostgres.execute(db, "CREATE TABLE podvault_replaced.\"Users\" (userid serial PRIMARY KEY, username text)");
    TestPostgres.execute(db, "CREATE TABLE podvault_replaced.\"Episodes\" (episodeid int REFERENCES podvault_replaced.\"Users\")");
    TestPostgres.execute(db, "CREATE SCHEMA theirs");
    TestPostgres.execute(db, "CREATE TABLE theirs.audit (userid int REFERENCES podvault_replaced.\"Users\")");
    TestPostgres.execute(db, "CREATE VIEW theirs.names AS SELECT username FROM podvault_replaced.\"Users\"");
    try (Connection c = Connections.open(db)) {
      assertThatThrownBy(() -> SchemaDrop.dropIfExists(c, "podvault_replaced"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("view theirs.names")
        .hasMessageContaining("constraint audit_userid_fkey on table theirs.audit");
      try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
        + "ON n.oid = c.relnamespace WHERE n.nspname IN ('theirs', 'podvault_replaced') AND c.relkind IN ('r', 'v')")) {
        rs.next();
        assertThat(rs.getLong(1)).as("every table and view is still there").isEqualTo(4);
      }
      TestPostgres.execute(db, "DROP SCHEMA theirs CASCADE");
      SchemaDrop.dropIfExists(c, "podvault_replaced");
      try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = 'podvault_replaced'")) {
        rs.next();
        assertThat(rs.getLong(1)).isZero();
      }
    }
  }
}
