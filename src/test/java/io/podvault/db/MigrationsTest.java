package io.podvault.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.dump.SchemaCheck;
import io.podvault.support.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Schema migrations on an empty database")
class MigrationsTest {

  private static long count(Connection c, String sql) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  @DisplayName("every migration applies and builds PinePods' whole data model plus podvault's own tables")
  void allMigrationsApply() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    String version = Migrations.migrate(db, SchemaCheck.adoption(db));
    assertThat(version).isEqualTo(Migrations.latestVersion(db));
    try (Connection c = Connections.open(db)) {
      String app = "n.nspname = 'public'";
      assertThat(count(c, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind = 'r' AND " + app)).isEqualTo(49);
      assertThat(count(c, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind = 'S' AND n.nspname = 'public'")).isEqualTo(44);
      assertThat(count(c, "SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype = 'f' AND " + app)).isEqualTo(65);
      assertThat(count(c, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + app)).as("PinePods' 138, and no other").isEqualTo(138);
      assertThat(count(c, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
        + "AND table_name = 'Users'")).isEqualTo(28);
      assertThat(count(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'podvault' "
        + "AND tablename IN ('signing_key', 'sessions', 'jobs')")).isEqualTo(3);
      assertThat(count(c, "SELECT count(*) FROM " + Sql.qualified("podvault", Migrations.historyTable("public"))
        + " WHERE success AND version = '" + version + "'")).as("the history is kept in schema podvault").isEqualTo(1);
    }
    // A second run finds nothing to do and keeps the version.
    assertThat(Migrations.migrate(db, SchemaCheck.adoption(db))).isEqualTo(version);
  }
}
