package io.podvault;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.Config;
import io.podvault.config.ConfigKeys;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Starting, stopping and restarting the server")
class ServerLifecycleTest {

  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    result(vertx.close());
  }

  private int login(Podvault podvault, String username, String password) {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultPort(podvault.httpPort()).setDefaultHost("localhost"));
    try {
      return result(client.post("/api/auth/login")
        .sendJsonObject(new JsonObject().put("username", username).put("password", password))).statusCode();
    } finally {
      client.close();
    }
  }

  @Test
  @DisplayName("the embedded database keeps its data and its password across a restart, and refuses a wrong password")
  void embeddedDataSurvivesRestart() throws Exception {
    Path data = TestServer.tempDir("podvault-lifecycle");
    Config config = Config.from(new JsonObject()
      .put(ConfigKeys.HTTP_PORT, 0)
      .put(ConfigKeys.DATA_DIR, data.toString())
      .put(ConfigKeys.ADMIN_USERNAME, "owner")
      .put(ConfigKeys.ADMIN_PASSWORD, "owner-password"), Map.of());

    Podvault first = result(Podvault.start(vertx, config));
    DbCoordinates db = first.database();
    String token = result(WebClient.create(vertx).post(first.httpPort(), "localhost", "/api/auth/login")
      .sendJsonObject(new JsonObject().put("username", "owner").put("password", "owner-password")))
      .bodyAsJsonObject().getString("token");
    assertThat(result(WebClient.create(vertx).post(first.httpPort(), "localhost", "/api/admin/users")
      .bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject().put("username", "kept").put("password", "kept-password")))
      .statusCode()).isEqualTo(201);
    String generated = Files.readString(data.resolve("db-password")).trim();
    assertThat(generated).hasSizeGreaterThanOrEqualTo(20);
    assertThatThrownBy(() -> Connections.open(db.withPassword("wrong-password")))
      .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
    result(first.stop());
    assertThat(Files.exists(data.resolve("postgres/postmaster.pid"))).as("embedded PostgreSQL stopped").isFalse();

    Podvault second = result(Podvault.start(vertx, config.with(ConfigKeys.ADMIN_PASSWORD, "ignored-now-that-an-admin-exists")));
    try {
      assertThat(login(second, "kept", "kept-password")).isEqualTo(200);
      assertThat(login(second, "owner", "owner-password")).isEqualTo(200);
      assertThat(Files.readString(data.resolve("db-password")).trim()).isEqualTo(generated);
    } finally {
      result(second.stop());
    }
  }

  @Test
  @DisplayName("the first administrator is created once, from the configured name and password")
  void firstAdministrator() {
    DbCoordinates db = TestPostgres.freshDatabase();
    Podvault first = result(Podvault.start(vertx, TestServer.config(db, Map.of(
      ConfigKeys.ADMIN_USERNAME, "chief", ConfigKeys.ADMIN_PASSWORD, "chief-password"))));
    assertThat(login(first, "chief", "chief-password")).isEqualTo(200);
    result(first.stop());

    Podvault second = result(Podvault.start(vertx, TestServer.config(db, Map.of(
      ConfigKeys.ADMIN_USERNAME, "deputy", ConfigKeys.ADMIN_PASSWORD, "deputy-password"))));
    try {
      assertThat(login(second, "deputy", "deputy-password")).isEqualTo(401);
      assertThat(login(second, "chief", "chief-password")).isEqualTo(200);
    } finally {
      result(second.stop());
    }
  }

  @Test
  @DisplayName("an external database that refuses the password stops the start with the reason")
  void wrongExternalPassword() {
    DbCoordinates db = TestPostgres.freshDatabase().withPassword("not-the-password");
    assertThatThrownBy(() -> result(Podvault.start(vertx, TestServer.config(db, Map.of()))))
      .hasMessageContaining("password authentication failed");
  }
}
