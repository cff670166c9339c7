package io.podvault.faults;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.db.EmbeddedDatabase;
import io.podvault.support.TestServer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Authentication while the database cannot be reached")
class AuthDuringOutageTest {

  private static final String DB_PASSWORD = "outage-password";

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

  @Test
  @DisplayName("a token, an API key, a sign-in and a WebSocket get 'database unavailable' (503, Retry-After), not 401, and work again once it is back")
  void outageIsNotARefusal() throws Exception {
    Path cluster = Files.createDirectories(dir.resolve("cluster"));
    EmbeddedDatabase database = EmbeddedDatabase.start(cluster, DB_PASSWORD, 0);
    int port = database.coordinates().port();
    TestServer server = result(TestServer.start(vertx, database.coordinates(), Map.of()));
    WebSocketClient sockets = vertx.createWebSocketClient();
    try {
      String token = result(server.adminToken());
      String key = result(server.client.post("/api/keys").bearerTokenAuthentication(token).send())
        .bodyAsJsonObject().getString("key");

      database.close();
      assertUnavailable(result(server.get("/api/auth/me", token).send()));
      assertUnavailable(result(server.client.get("/api/auth/me").putHeader("Api-Key", key).send()));
      assertUnavailable(result(server.client.post("/api/auth/login")
        .sendJsonObject(new JsonObject().put("username", TestServer.ADMIN).put("password", TestServer.ADMIN_PASSWORD))));
      assertThat(closeCodeAfterAuth(sockets, server, token)).as("the socket is told to try again later").isEqualTo((short) 1013);

      database = EmbeddedDatabase.start(cluster, DB_PASSWORD, port);
      long deadline = System.currentTimeMillis() + 60_000;
      while (result(server.client.get("/health").send()).statusCode() != 200) {
        assertThat(System.currentTimeMillis()).as("the server reconnects").isLessThan(deadline);
        Thread.sleep(200);
      }
      assertThat(result(server.get("/api/auth/me", token).send()).statusCode()).as("the token still works").isEqualTo(200);
      assertThat(result(server.client.get("/api/auth/me").putHeader("Api-Key", key).send()).statusCode())
        .as("the key still works").isEqualTo(200);
    } finally {
      result(sockets.close());
      result(server.stop());
      database.close();
    }
  }

  private static void assertUnavailable(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(503);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("database_unavailable");
    assertThat(TestServer.error(response)).isEqualTo("the server is unavailable: its database cannot be reached; try again shortly");
    assertThat(response.getHeader("Retry-After")).isNotNull();
  }

  /** Connects to /ws, authenticates with the token and returns the status the server closed the socket with. */
  private static short closeCodeAfterAuth(WebSocketClient sockets, TestServer server, String token) {
    WebSocket ws = result(sockets.connect(server.podvault.httpPort(), "localhost", "/ws"));
    Promise<Short> closed = Promise.promise();
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    ws.writeTextMessage(new JsonObject().put("type", "auth").put("token", token).encode());
    return result(closed.future());
  }
}
