package io.podvault.adopt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.Podvault;
import io.podvault.config.DbCoordinates;
import io.podvault.db.SchemaRefusedException;
import io.podvault.support.Await;
import io.podvault.support.ChildServer;
import io.podvault.support.TempDirs;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A public schema podvault cannot adopt is refused at start, with what differs and nothing changed")
class RefusedSchemaTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Await.result(vertx.close());
  }

  /** PinePods' tables made without podvault: the data model's SQL run on its own. */
  private static DbCoordinates pinepodsDatabase() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    TestPostgres.execute(db, Files.readString(Path.of("src/main/resources/db/schema/V1__pinepods_schema.sql")));
    return db;
  }

  private static boolean podvaultSchemaExists(DbCoordinates db) {
    try (var c = io.podvault.db.Connections.open(db); var rs = c.createStatement()
      .executeQuery("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE n.nspname = 'podvault' AND c.relname LIKE 'history%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("a PinePods database with a column missing and a table added: the start lists both, records nothing")
  void differingPinePods() throws Exception {
    DbCoordinates db = pinepodsDatabase();
    TestPostgres.execute(db, "ALTER TABLE \"Users\" DROP COLUMN timezone");
    TestPostgres.execute(db, "CREATE TABLE my_notes (id int PRIMARY KEY)");
    assertThatThrownBy(() -> Await.result(Podvault.start(vertx, TestServer.config(db, Map.of()))))
      .isInstanceOf(SchemaRefusedException.class)
      .hasMessageContaining("column \"Users\".\"timezone\" is missing")
      .hasMessageContaining("table \"my_notes\" is not in podvault's schema")
      .hasMessageContaining("Point db_url (PODVAULT_DB_URL) at an empty database");
    assertThat(podvaultSchemaExists(db)).as("no history was recorded for it").isFalse();
  }

  @Test
  @DisplayName("unrelated tables: the process exits non-zero saying they are not PinePods', without a stack trace")
  void unrelatedTables() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    TestPostgres.execute(db, "CREATE TABLE invoices (id int PRIMARY KEY, total numeric)");
    Path data = TempDirs.create("podvault-refused");
    assertThatThrownBy(() -> ChildServer.start(vertx, data, Map.of("PODVAULT_DB_URL", TestPostgres.url(db))))
      .hasMessageContaining("podvault exited with 1");
    String log = Files.readString(data.resolveSibling(data.getFileName() + ".log"));
    assertThat(log).contains("it holds none of PinePods' tables, but invoices")
      .doesNotContain("\tat ", "Exception");
  }
}
