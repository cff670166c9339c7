package io.podvault.adopt;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.auth.PasswordHasher;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.Sql;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A database of the earlier layout moves to schema podvault's bookkeeping at start, once")
class OldLayoutTest {

  private static final String CLEAR_SECRET = "a-signing-secret-stored-in-clear";

  /**
   * The layout the previous release made: application history {@code public.podvault_schema_history} at version
   * 2 (with its API key index), podvault's own tables at version 2, and the signing secret in clear.
   */
  private static DbCoordinates oldLayout() {
    DbCoordinates db = TestPostgres.freshDatabase();
    Flyway.configure().dataSource(Connections.dataSource(db)).locations("classpath:db/internal").schemas("podvault")
      .defaultSchema("podvault").createSchemas(true).target("2").load().migrate();
    Flyway.configure().dataSource(Connections.dataSource(db)).locations("classpath:db/schema").schemas("public")
      .defaultSchema("public").table("podvault_schema_history").target("2").load().migrate();
    TestPostgres.execute(db, "INSERT INTO podvault.signing_key (id, secret) VALUES (1, '" + CLEAR_SECRET + "')");
    return db;
  }

  private static String single(DbCoordinates db, String sql) throws Exception {
    try (Connection c = Connections.open(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Test
  @DisplayName("history and the API key index leave public, the data stays, an API key still works, the signing secret "
    + "is sealed, and a token survives a restart")
  void migratesOnce() throws Exception {
    DbCoordinates db = oldLayout();
    assertThat(single(db, "SELECT to_regclass('public.\"APIKeys_apikey_idx\"')")).isNotNull();
    Map<String, String> data;
    try (Connection c = Connections.open(db)) {
      // podvault creates its administrator only while none exists, and the data brings one.
      c.createStatement().execute("INSERT INTO \"Users\" (fullname, username, hashed_pw, isadmin) VALUES ('Administrator', "
        + Sql.literal(TestServer.ADMIN) + ", " + Sql.literal(PasswordHasher.hash(TestServer.ADMIN_PASSWORD)) + ", true)");
      PinePodsData.fill(c, 3);
      data = PinePodsData.tableChecksums(c, "public");
    }
    Vertx vertx = Vertx.vertx();
    TestServer server = result(TestServer.start(vertx, db, Map.of()));
    String token;
    try {
      assertThat(single(db, "SELECT to_regclass('public.podvault_schema_history')")).isNull();
      assertThat(single(db, "SELECT to_regclass('public.\"APIKeys_apikey_idx\"')")).isNull();
      assertThat(single(db, "SELECT string_agg(version, ',' ORDER BY installed_rank) FROM podvault."
        + Migrations.historyTable("public") + " WHERE success")).as("the moved history, then version 3").isEqualTo("1,2,3");
      token = result(server.adminToken());
      String key = result(server.client.post("/api/keys").bearerTokenAuthentication(token).send())
        .bodyAsJsonObject().getString("key");
      assertThat(result(server.client.get("/api/auth/me").putHeader("Api-Key", key).send()).statusCode())
        .as("an API key is found without the index").isEqualTo(200);
      assertThat(result(server.client.get("/api/auth/me").putHeader("Api-Key", key + "x").send()).statusCode())
        .isEqualTo(401);
      String stored = single(db, "SELECT secret FROM podvault.signing_key");
      assertThat(stored).as("sealed, not in clear").startsWith("sealed1:").doesNotContain(CLEAR_SECRET);
      assertThat(single(db, "SELECT count(*) FROM podvault.signing_key WHERE position(" + "'" + CLEAR_SECRET
        + "' IN coalesce(secret, '') || coalesce(previous_secret, '')) > 0")).isEqualTo("0");
    } finally {
      result(server.stop());
    }
    try (Connection c = Connections.open(db)) {
      assertThat(PinePodsData.tableChecksums(c, "public")).as("the data rows are untouched, the admin's aside")
        .containsAllEntriesOf(Map.of("Episodes", data.get("Episodes"), "Podcasts", data.get("Podcasts")));
    }
    TestServer again = result(TestServer.start(vertx, db, Map.of()));
    try {
      assertThat(result(again.client.get("/api/auth/me").bearerTokenAuthentication(token).send()).statusCode())
        .as("a token signed before the restart is still good: the sealed key opens again").isEqualTo(200);
      assertThat(single(db, "SELECT count(*) FROM podvault." + Migrations.historyTable("public"))).as("nothing moved twice")
        .isEqualTo("3");
    } finally {
      result(again.stop());
      result(vertx.close());
    }
  }

  @Test
  @DisplayName("a token signed with the stored secret's column value is refused: the column holds no usable key")
  void storedValueIsNoKey() throws Exception {
    DbCoordinates db = TestPostgres.freshDatabase();
    Vertx vertx = Vertx.vertx();
    TestServer server = result(TestServer.start(vertx, db, Map.of()));
    try {
      String stored = single(db, "SELECT secret FROM podvault.signing_key");
      JWTAuth forged = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(stored)));
      String good = result(server.adminToken());
      JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(good.split("\\.")[1]),
        StandardCharsets.UTF_8));
      String forgedToken = forged.generateToken(claims);
      assertThat(result(server.client.get("/api/auth/me").bearerTokenAuthentication(forgedToken).send()).statusCode())
        .isEqualTo(401);
      assertThat(result(server.client.get("/api/auth/me").bearerTokenAuthentication(good).send()).statusCode())
        .isEqualTo(200);
    } finally {
      result(server.stop());
      result(vertx.close());
    }
  }
}
