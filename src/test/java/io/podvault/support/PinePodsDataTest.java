package io.podvault.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PinePods test data and database fingerprints")
class PinePodsDataTest {

  private static Connection migratedDatabase() throws SQLException {
    DbCoordinates db = TestPostgres.freshDatabase();
    Migrations.migrate(db, SchemaCheck.adoption(db));
    return Connections.open(db);
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Rows, over all foreign keys of schema public (all single-column), whose reference finds no parent. */
  private static long orphans(Connection c) throws SQLException {
    long orphans = 0;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT format("
      + "'SELECT count(*) FROM %s c WHERE c.%I IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%I = c.%I)', "
      + "k.conrelid::regclass, a.attname, k.confrelid::regclass, pa.attname, a.attname) FROM pg_constraint k "
      + "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] "
      + "JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1] "
      + "WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace")) {
      while (rs.next()) {
        orphans += count(c, rs.getString(1));
      }
    }
    return orphans;
  }

  private static long rows(String checksum) {
    return Long.parseLong(checksum.substring(0, checksum.indexOf(':')));
  }

  @Test
  @DisplayName("the small data set puts at least two rows in every one of the 49 tables")
  void fillsEveryTable() throws Exception {
    try (Connection c = migratedDatabase()) {
      PinePodsData.fill(c, 42);
      Map<String, String> sums = PinePodsData.tableChecksums(c, "public");
      assertThat(sums).hasSize(49).containsKeys("AISettings", "Users", "RssKeyMap", "schema_migrations");
      assertThat(sums).allSatisfy((table, sum) -> assertThat(rows(sum)).as(table).isGreaterThanOrEqualTo(2));
    }
  }

  @Test
  @DisplayName("the small data set holds the awkward values it promises")
  void holdsAwkwardValues() throws Exception {
    try (Connection c = migratedDatabase()) {
      PinePodsData.fill(c, 42);
      assertThat(count(c, "SELECT max(octet_length(episodedescription)) FROM \"Episodes\"")).isGreaterThan(1 << 20);
      assertThat(count(c, "SELECT count(*) FROM \"Episodes\" WHERE strpos(episodetitle, E'\\n\\\\.\\n') > 0")).isEqualTo(1);
      assertThat(count(c, "SELECT count(*) FROM \"Playlists\" WHERE podcastids = '{}'")).isEqualTo(1);
      assertThat(count(c, "SELECT count(*) FROM \"Playlists\" WHERE podcastids IS NULL")).isEqualTo(1);
      assertThat(count(c, "SELECT count(*) FROM \"Users\" WHERE playbackspeed = 9.9")).isEqualTo(1);
      assertThat(count(c, "SELECT count(*) FROM \"Users\" WHERE username = 'admin'")).isZero();
      assertThat(count(c, "SELECT count(*) FROM \"EpisodeTranscripts\" "
        + "WHERE segments -> 1 -> 'nested' -> 'deeper' IS NOT NULL")).isEqualTo(1);
      assertThat(PinePodsData.sequenceStates(c, "public"))
        .hasSize(44).containsEntry("AISettings_aisettingsid_seq", "1/false").containsEntry("Users_userid_seq", "4/true");
    }
  }

  @Test
  @DisplayName("the same seed gives the same rows and sequences in two databases")
  void sameSeedSameData() throws Exception {
    try (Connection first = migratedDatabase(); Connection second = migratedDatabase()) {
      PinePodsData.fill(first, 42);
      PinePodsData.fill(second, 42);
      assertThat(PinePodsData.tableChecksums(second, "public")).isEqualTo(PinePodsData.tableChecksums(first, "public"));
      assertThat(PinePodsData.sequenceStates(second, "public")).isEqualTo(PinePodsData.sequenceStates(first, "public"));
    }
  }

  @Test
  @DisplayName("changing one character of one text value changes that table's checksum and no other")
  void oneCharacterChangesTheChecksum() throws Exception {
    try (Connection c = migratedDatabase()) {
      PinePodsData.fill(c, 7);
      Map<String, String> before = PinePodsData.tableChecksums(c, "public");
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE \"Episodes\" SET episodetitle = overlay(episodetitle PLACING "
          + "CASE WHEN left(episodetitle, 1) = 'X' THEN 'Y' ELSE 'X' END FROM 1 FOR 1) "
          + "WHERE episodeid = (SELECT min(episodeid) FROM \"Episodes\" WHERE episodetitle <> '')");
      }
      Map<String, String> after = PinePodsData.tableChecksums(c, "public");
      assertThat(after.get("Episodes")).isNotEqualTo(before.get("Episodes"));
      Map<String, String> others = new HashMap<>(after);
      others.put("Episodes", before.get("Episodes"));
      assertThat(others).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("schema facts are the same for two migrated databases")
  void schemaFactsCompare() throws Exception {
    try (Connection first = migratedDatabase(); Connection second = migratedDatabase()) {
      List<String> facts = PinePodsData.schemaFacts(first, "public");
      assertThat(facts).isSorted().isEqualTo(PinePodsData.schemaFacts(second, "public"))
        .contains("index CREATE INDEX idx_episodes_podcastid ON \"Episodes\" USING btree (podcastid)");
      assertThat(facts).filteredOn(fact -> fact.startsWith("constraint ") && fact.contains("FOREIGN KEY")).hasSize(65);
      long indexes = count(first, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'");
      assertThat(indexes).isGreaterThanOrEqualTo(138);
      assertThat(facts).filteredOn(fact -> fact.startsWith("index ")).hasSize((int) indexes);
    }
  }

  @Test
  @DisplayName("the bulk data set has the requested numbers of users, podcasts, episodes and history rows")
  void bulkDataSet() throws Exception {
    try (Connection c = migratedDatabase()) {
      PinePodsData.fillLarge(c, 2_000, 5_000);
      assertThat(count(c, "SELECT count(*) FROM \"Users\"")).isEqualTo(50);
      assertThat(count(c, "SELECT count(*) FROM \"Podcasts\"")).isEqualTo(2_000);
      assertThat(count(c, "SELECT count(*) FROM \"Episodes\"")).isEqualTo(2_000);
      assertThat(count(c, "SELECT count(*) FROM \"UserEpisodeHistory\"")).isEqualTo(5_000);
      assertThat(count(c, "SELECT min(length(episodetitle)) FROM \"Episodes\"")).isGreaterThanOrEqualTo(30);
      assertThat(count(c, "SELECT max(length(episodedescription)) FROM \"Episodes\"")).isGreaterThan(1_000);
      assertThat(count(c, "SELECT count(*) FROM \"SavedEpisodes\"")).isPositive();
      assertThat(orphans(c)).isZero();
      assertThat(count(c, "SELECT count(*) FROM pg_settings WHERE name = 'session_replication_role' "
        + "AND setting = 'origin'")).isEqualTo(1);
    }
  }
}
