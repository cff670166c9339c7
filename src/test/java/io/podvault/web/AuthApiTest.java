package io.podvault.web;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.auth.SigningKeySeal;
import io.podvault.auth.TokenService;
import io.podvault.db.Connections;
import io.podvault.support.Await;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@DisplayName("Signing in and authenticating API calls")
class AuthApiTest {

  private static final Logger LOG = LoggerFactory.getLogger(AuthApiTest.class);

  private static Vertx vertx;
  private static TestServer server;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private HttpResponse<Buffer> login(String username, String password) {
    return result(server.client.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("username", username).put("password", password)));
  }

  private HttpResponse<Buffer> me(String token) {
    return result(server.get("/api/auth/me", token).send());
  }

  @Test
  @DisplayName("the right password gives a token that identifies the administrator")
  void loginRight() {
    HttpResponse<Buffer> response = login(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getJsonObject("user").getString("username")).isEqualTo("admin");
    assertThat(body.getJsonObject("user").getBoolean("is_admin")).isTrue();
    HttpResponse<Buffer> who = me(body.getString("token"));
    assertThat(who.statusCode()).isEqualTo(200);
    assertThat(who.bodyAsJsonObject().getString("username")).isEqualTo("admin");
  }

  @Test
  @DisplayName("a wrong password or an unknown user gets 401 and no token")
  void loginWrong() {
    HttpResponse<Buffer> wrong = login(TestServer.ADMIN, "not-the-password");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.bodyAsJsonObject().getString("code")).isEqualTo("unauthorized");
    assertThat(wrong.bodyAsJsonObject().containsKey("token")).isFalse();
    assertThat(login("nobody-" + System.nanoTime(), "whatever-password").statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("API calls without a token get 401")
  void tokenRequired() {
    HttpResponse<Buffer> response = result(server.client.get("/api/auth/me").send());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.bodyAsJsonObject().getString("error")).contains("sign in");
    assertThat(result(server.client.get("/api/admin/users").send()).statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("a token signed with another key, an expired token and garbage are refused")
  void forgedAndExpiredTokens() throws Exception {
    String token = result(server.adminToken());
    JsonObject claims = claimsOf(token);

    JWTAuth forger = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("not-the-server-key-at-all-0123456789")));
    assertThat(me(forger.generateToken(claims, new JWTOptions())).statusCode()).isEqualTo(401);

    JWTAuth realKey = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(signingKey())));
    JsonObject expired = claims.copy().put("iat", 1_000_000L).put("exp", 1_000_060L);
    assertThat(me(realKey.generateToken(expired, new JWTOptions().setNoTimestamp(true))).statusCode()).isEqualTo(401);
    // The same key with a live expiry is accepted: the expired token failed for its expiry, nothing else.
    assertThat(me(realKey.generateToken(claims.copy().put("exp", System.currentTimeMillis() / 1000 + 600),
      new JWTOptions().setNoTimestamp(true))).statusCode()).isEqualTo(200);

    assertThat(me("not.a.jwt").statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("logout ends the token's session")
  void logout() {
    String token = result(server.adminToken());
    assertThat(me(token).statusCode()).isEqualTo(200);
    assertThat(result(server.client.post("/api/auth/logout").bearerTokenAuthentication(token).send()).statusCode())
      .isEqualTo(200);
    assertThat(me(token).statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("a normal user gets 403 on admin routes and 200 on their own")
  void adminVersusUser() {
    String admin = result(server.adminToken());
    String user = result(server.userToken(admin, "listener", "listener-password", false));
    assertThat(me(user).bodyAsJsonObject().getBoolean("is_admin")).isFalse();
    HttpResponse<Buffer> denied = result(server.get("/api/admin/users", user).send());
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.bodyAsJsonObject().getString("code")).isEqualTo("forbidden");
    assertThat(result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(user)
      .sendJsonObject(new JsonObject().put("database_pass", "x"))).statusCode()).isEqualTo(403);
    HttpResponse<Buffer> users = result(server.get("/api/admin/users", admin).send());
    assertThat(users.statusCode()).isEqualTo(200);
    assertThat(users.bodyAsJsonArray().stream().map(u -> ((JsonObject) u).getString("username")))
      .contains("admin", "listener");
  }

  @Test
  @DisplayName("creating a user whose name is taken gets 409")
  void duplicateUser() {
    String admin = result(server.adminToken());
    JsonObject body = new JsonObject().put("username", "twice").put("password", "twice-password");
    assertThat(result(server.client.post("/api/admin/users").bearerTokenAuthentication(admin).sendJsonObject(body))
      .statusCode()).isEqualTo(201);
    HttpResponse<Buffer> again =
      result(server.client.post("/api/admin/users").bearerTokenAuthentication(admin).sendJsonObject(body));
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(TestServer.error(again)).contains("already exists");
  }

  @Test
  @DisplayName("an API key in the Api-Key header authenticates its owner until it is deleted")
  void apiKeys() {
    String user = result(server.userToken(result(server.adminToken()), "keyholder", "keyholder-password", false));
    HttpResponse<Buffer> created = result(server.client.post("/api/keys").bearerTokenAuthentication(user).send());
    assertThat(created.statusCode()).isEqualTo(201);
    String key = created.bodyAsJsonObject().getString("key");
    int keyId = created.bodyAsJsonObject().getInteger("id");
    assertThat(key).hasSize(64);

    HttpResponse<Buffer> who = result(server.client.get("/api/auth/me").putHeader("Api-Key", key).send());
    assertThat(who.statusCode()).isEqualTo(200);
    assertThat(who.bodyAsJsonObject().getString("username")).isEqualTo("keyholder");
    assertThat(result(server.client.get("/api/admin/users").putHeader("Api-Key", key).send()).statusCode()).isEqualTo(403);

    HttpResponse<Buffer> listed = result(server.get("/api/keys", user).send());
    assertThat(listed.bodyAsJsonArray().getJsonObject(0).getString("ends_with")).isEqualTo(key.substring(60));
    assertThat(listed.bodyAsString()).doesNotContain(key);

    assertThat(result(server.client.delete("/api/keys/" + keyId).bearerTokenAuthentication(user).send()).statusCode())
      .isEqualTo(204);
    assertThat(result(server.client.get("/api/auth/me").putHeader("Api-Key", key).send()).statusCode()).isEqualTo(401);
    assertThat(result(server.client.delete("/api/keys/" + keyId).bearerTokenAuthentication(user).send()).statusCode())
      .isEqualTo(404);
    assertThat(result(server.client.get("/api/auth/me").putHeader("Api-Key", "x".repeat(64)).send()).statusCode())
      .isEqualTo(401);
  }

  @Test
  @DisplayName("malformed JSON, missing fields, wrong types and oversized bodies get the JSON error shape")
  void badBodies() {
    HttpResponse<Buffer> malformed = result(server.client.post("/api/auth/login")
      .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"username\": ")));
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.bodyAsJsonObject().getString("code")).isEqualTo("bad_request");

    HttpResponse<Buffer> missing = result(server.client.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("username", "admin")));
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(TestServer.error(missing)).contains("'password'");

    HttpResponse<Buffer> wrongType = result(server.client.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("username", 42).put("password", "x")));
    assertThat(wrongType.statusCode()).isEqualTo(400);

    HttpResponse<Buffer> array = result(server.client.post("/api/auth/login")
      .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("[1,2]")));
    assertThat(array.statusCode()).isEqualTo(400);

    HttpResponse<Buffer> oversized = result(server.client.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("username", "admin").put("password", "p".repeat(200_000))));
    assertThat(oversized.statusCode()).isEqualTo(413);
    assertThat(oversized.bodyAsJsonObject().getString("code")).isEqualTo("too_large");

    HttpResponse<Buffer> unknown = result(server.get("/api/no-such-thing", result(server.adminToken())).send());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.bodyAsJsonObject().getString("code")).isEqualTo("not_found");
  }

  @Test
  @DisplayName("while one address sends 1 000 wrong passwords at once, the administrator signs in from another: no 429, no 503")
  void attackFromOneAddressLeavesTheAdministratorIn() throws Exception {
    WebClient attacker = clientFrom("127.0.0.2", 1000);
    WebClient owner = clientFrom("127.0.0.1", 1);
    try {
      List<Future<HttpResponse<Buffer>>> attack = new ArrayList<>();
      AtomicInteger answered = new AtomicInteger();
      for (int i = 0; i < 1000; i++) {
        attack.add(login(attacker, TestServer.ADMIN, "guess-" + i).andThen(done -> answered.incrementAndGet()));
      }
      Await.until("the first answers to the attack", () -> answered.get() > 0);
      int answeredBefore = answered.get();
      long started = System.nanoTime();
      HttpResponse<Buffer> signIn = result(login(owner, TestServer.ADMIN, TestServer.ADMIN_PASSWORD));
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      int answeredDuring = answered.get() - answeredBefore;

      Map<Integer, Long> statuses = statuses(attack);
      LOG.info("The administrator's sign-in took {} ms while one address sent 1 000 wrong passwords ({} answered "
        + "before it began, {} while it ran; all answers by status: {})", tookMillis, answeredBefore, answeredDuring, statuses);
      assertThat(signIn.statusCode()).as(signIn.bodyAsString()).isEqualTo(200);
      assertThat(statuses.keySet()).as("the attack's answers").containsOnly(401, 429);
      assertThat(statuses.get(401)).as("wrong passwords let through to the hash").isLessThanOrEqualTo(10);
    } finally {
      attacker.close();
      owner.close();
    }
  }

  @Test
  @DisplayName("wrong passwords sent in parallel from one address get 429 after the limit; the right one from another address still works")
  void parallelGuessesAreCounted() throws Exception {
    String admin = result(server.adminToken());
    result(server.userToken(admin, "guessed", "guessed-password", false));
    WebClient guesser = clientFrom("127.0.0.3", 50);
    WebClient elsewhere = clientFrom("127.0.0.4", 1);
    try {
      Map<Integer, Long> statuses = new HashMap<>();
      boolean limited = false;
      for (int wave = 0; wave < 20 && !limited; wave++) {
        List<Future<HttpResponse<Buffer>>> guesses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          guesses.add(login(guesser, "guessed", "guess-" + wave + "-" + i));
        }
        for (Future<HttpResponse<Buffer>> guess : guesses) {
          HttpResponse<Buffer> response = result(guess);
          statuses.merge(response.statusCode(), 1L, Long::sum);
          limited |= response.statusCode() == 429 && TestServer.error(response).startsWith("too many failed sign-ins");
        }
      }
      LOG.info("Waves of 50 wrong passwords at once from one address, answers by status: {}", statuses);
      assertThat(limited).as("the failures' limit was reached: " + statuses).isTrue();
      assertThat(statuses.keySet()).containsOnly(401, 429);
      assertThat(statuses.get(401)).as("wrong passwords let through to the hash").isLessThanOrEqualTo(10);

      HttpResponse<Buffer> right = result(login(guesser, "guessed", "guessed-password"));
      assertThat(right.statusCode()).as("the right password from the guessing address").isEqualTo(429);
      assertThat(right.getHeader("Retry-After")).isNotNull();
      assertThat(right.bodyAsJsonObject().getString("code")).isEqualTo("rate_limited");
      HttpResponse<Buffer> fresh = result(login(elsewhere, "guessed", "guessed-password"));
      assertThat(fresh.statusCode()).as("the right password from another address").isEqualTo(200);
    } finally {
      guesser.close();
      elsewhere.close();
    }
  }

  @Test
  @DisplayName("when more passwords wait for the hash than it queues, the rest get 503 with Retry-After at once")
  void hashingQueueIsBounded() {
    List<WebClient> addresses = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> attempts = new ArrayList<>();
    try {
      // Sixteen addresses with four attempts each: within every address's share, and twice what the queue holds.
      for (int a = 0; a < 16; a++) {
        WebClient client = clientFrom("127.0.1." + (a + 1), 4);
        addresses.add(client);
        for (int i = 0; i < 4; i++) {
          attempts.add(login(client, "nobody-" + a + "-" + i, "whatever-password"));
        }
      }
      Map<Integer, Long> statuses = statuses(attempts);
      LOG.info("64 sign-ins from 16 addresses at once, answers by status: {}", statuses);
      assertThat(statuses.keySet()).as(statuses.toString()).containsOnly(401, 503);
      HttpResponse<Buffer> busy = attempts.stream().map(Await::result).filter(r -> r.statusCode() == 503).findFirst().orElseThrow();
      assertThat(busy.bodyAsJsonObject().getString("code")).isEqualTo("server_busy");
      assertThat(busy.getHeader("Retry-After")).isNotNull();
    } finally {
      addresses.forEach(WebClient::close);
    }
  }

  @Test
  @DisplayName("repeated failed sign-ins for one user from one address are refused with 429, even with the right password")
  void rateLimited() {
    String admin = result(server.adminToken());
    result(server.userToken(admin, "target", "target-password", false));
    for (int i = 0; i < 10; i++) {
      assertThat(login("target", "guess-" + i).statusCode()).isEqualTo(401);
    }
    HttpResponse<Buffer> limited = login("target", "target-password");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.getHeader("Retry-After")).isNotNull();
    assertThat(limited.bodyAsJsonObject().getString("code")).isEqualTo("rate_limited");
  }

  @Test
  @DisplayName("wrong passwords spread over two processes on one database are limited as if they all went to one; "
    + "behind a trusted proxy, per client its X-Forwarded-For names")
  void limitsSharedByProcesses() {
    // A Vert.x of its own, as another process has: the two share only the database.
    Vertx otherProcess = Vertx.vertx();
    TestServer other = result(TestServer.start(otherProcess, server.db, Map.of("trusted_proxies", "127.0.0.7")));
    try {
      String admin = result(server.adminToken());
      result(server.userToken(admin, "spread", "spread-password", false));
      List<WebClient> nodes = List.of(clientFrom(server, "127.0.0.5", 1), clientFrom(other, "127.0.0.5", 1));
      for (int i = 0; i < 10; i++) {
        assertThat(result(login(nodes.get(i % 2), "spread", "guess-" + i)).statusCode()).as("guess %d", i).isEqualTo(401);
      }
      for (WebClient node : nodes) {
        HttpResponse<Buffer> limited = result(login(node, "spread", "spread-password"));
        assertThat(limited.statusCode()).as(limited.bodyAsString()).isEqualTo(429);
        assertThat(Long.parseLong(limited.getHeader("Retry-After"))).isBetween(1L, 15 * 60L);
      }
      assertThat(result(login(clientFrom(other, "127.0.0.6", 1), "spread", "spread-password")).statusCode())
        .as("the same user from another address").isEqualTo(200);

      WebClient proxy = clientFrom(other, "127.0.0.7", 1);
      for (int i = 0; i < 10; i++) {
        assertThat(result(loginVia(proxy, "203.0.113.9", "spread", "guess-" + i)).statusCode()).isEqualTo(401);
      }
      assertThat(result(loginVia(proxy, "203.0.113.9", "spread", "spread-password")).statusCode())
        .as("the client behind the proxy is limited").isEqualTo(429);
      assertThat(result(loginVia(proxy, "203.0.113.10", "spread", "spread-password")).statusCode())
        .as("another client behind the same proxy is not").isEqualTo(200);
      assertThat(result(loginVia(clientFrom(other, "127.0.0.8", 1), "203.0.113.10", "spread", "guess")).statusCode())
        .as("from an address that is no trusted proxy the header counts for nothing").isEqualTo(401);
      assertThat(result(loginVia(clientFrom(other, "127.0.0.8", 1), "127.0.0.5", "spread", "spread-password")).statusCode())
        .as("nor can it name a limited address to dodge its own count").isEqualTo(200);
    } finally {
      result(other.stop());
      result(otherProcess.close());
    }
  }

  @Test
  @DisplayName("a sign-in whose password check overlaps a restore's swap gets 401 'restored' and opens no session")
  void signInOverlappingASwap() throws Exception {
    String newSecret = SigningKeySeal.prepare(server.db).seal(TokenService.newSecret());
    try (Connection swap = Connections.open(server.db)) {
      swap.setAutoCommit(false);
      // The swap's step on the key: from here until its commit the key row is locked and of a new generation.
      try (PreparedStatement rotate = swap.prepareStatement(TokenService.ROTATE_KEY_JDBC)) {
        rotate.setString(1, newSecret);
        rotate.executeUpdate();
      }
      Future<HttpResponse<Buffer>> signIn = server.client.post("/api/auth/login")
        .sendJsonObject(new JsonObject().put("username", TestServer.ADMIN).put("password", TestServer.ADMIN_PASSWORD));
      Await.until("the sign-in's session waiting for the swap", AuthApiTest::sessionInsertWaits);
      try (Statement s = swap.createStatement()) {
        s.execute("DELETE FROM podvault.sessions");
      }
      swap.commit();

      HttpResponse<Buffer> response = result(signIn);
      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("restored");
      assertThat(TestServer.error(response)).contains("restored while you were signing in");
      assertThat(sessions()).as("no session was opened on the restored data").isZero();
    }
    assertThat(me(result(server.adminToken())).statusCode()).as("the next sign-in works").isEqualTo(200);
  }

  @Test
  @DisplayName("after a restore a token from before it gets 401 'restored'; a forged or garbage token gets a plain 401")
  void tokenFromBeforeARestore() throws Exception {
    String before = result(server.adminToken());
    JsonObject claims = claimsOf(before);
    Path file = TestServer.tempDir("auth-restore").resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(before, TestPostgres.PASSWORD, file)).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> accepted = result(server.uploadRestore(before, file, TestPostgres.PASSWORD));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    assertThat(server.awaitJob(before, accepted.bodyAsJsonObject().getString("job_id")).getString("state"))
      .isEqualTo("succeeded");

    HttpResponse<Buffer> old = me(before);
    assertThat(old.statusCode()).isEqualTo(401);
    assertThat(old.bodyAsJsonObject().getString("code")).isEqualTo("restored");
    assertThat(TestServer.error(old)).isEqualTo("the server was restored; sign in again");

    JWTAuth forger = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("not-the-server-key-at-all-0123456789")));
    HttpResponse<Buffer> forged = me(forger.generateToken(claims, new JWTOptions()));
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(forged.bodyAsJsonObject().getString("code")).isEqualTo("unauthorized");
    HttpResponse<Buffer> garbage = me("not.a.jwt");
    assertThat(garbage.statusCode()).isEqualTo(401);
    assertThat(garbage.bodyAsJsonObject().getString("code")).isEqualTo("unauthorized");
    assertThat(me(result(server.adminToken())).statusCode()).as("a new sign-in works").isEqualTo(200);
  }

  @Test
  @DisplayName("GET /health answers ok while the database is reachable")
  void health() {
    HttpResponse<Buffer> response = result(server.client.get("/health").send());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getString("status")).isEqualTo("ok");
  }

  /** A client whose connections come from {@code localAddress} (Linux routes all of 127/8 to the loopback). */
  private static WebClient clientFrom(String localAddress, int connections) {
    return clientFrom(server, localAddress, connections);
  }

  private static WebClient clientFrom(TestServer to, String localAddress, int connections) {
    return WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(to.podvault.httpPort()).setLocalAddress(localAddress),
      new PoolOptions().setHttp1MaxSize(connections));
  }

  private static Future<HttpResponse<Buffer>> loginVia(WebClient proxy, String forwardedFor, String username, String password) {
    return proxy.post("/api/auth/login").putHeader("X-Forwarded-For", forwardedFor)
      .sendJsonObject(new JsonObject().put("username", username).put("password", password));
  }

  private static Future<HttpResponse<Buffer>> login(WebClient client, String username, String password) {
    return client.post("/api/auth/login").sendJsonObject(new JsonObject().put("username", username).put("password", password));
  }

  private static Map<Integer, Long> statuses(List<Future<HttpResponse<Buffer>>> responses) {
    return responses.stream().map(Await::result)
      .collect(Collectors.groupingBy(HttpResponse::statusCode, TreeMap::new, Collectors.counting()));
  }

  private static JsonObject claimsOf(String token) {
    String payload = token.split("\\.")[1];
    return new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(payload), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** True while a session insert waits for a lock (the key row a swap holds). */
  private static boolean sessionInsertWaits() {
    try (var c = Connections.open(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = "
           + "current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO podvault.sessions%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static int sessions() throws Exception {
    try (var c = Connections.open(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM podvault.sessions")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The signing key itself, opened as the server opens it (the database holds it sealed). */
  private static String signingKey() throws Exception {
    try (var c = Connections.open(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT secret FROM podvault.signing_key")) {
      rs.next();
      return SigningKeySeal.prepare(server.db).open(rs.getString(1));
    }
  }
}
