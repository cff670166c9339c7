package io.podvault.e2e;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.EmbeddedDatabase;
import io.podvault.db.JobLock;
import io.podvault.support.TempDirs;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * What a page shows when its session ends other than by its own sign-out, and while the database cannot be
 * reached. The server has an embedded database of its own, so a test can stop and start it.
 */
@DisplayName("Pages whose session ends, and pages while the database is down")
class SessionEndE2ETest {

  private static final String DB_PASSWORD = "session-end-db-password";
  private static final String RESTORED_NOTICE = "The server was restored; please sign in again.";
  private static final String SIGNED_OUT_NOTICE = "You were signed out on another page.";
  private static final String UNAVAILABLE = "The server is unavailable: its database cannot be reached. Try again shortly.";
  /**
   * Installed before the page's own scripts: keeps every WebSocket the page opens, with the status it was closed
   * with, so a test can drop the live connection and watch it being opened again.
   */
  private static final String SOCKET_RECORDER = """
    (() => {
      const Native = window.WebSocket;
      const sockets = [];
      window.podvaultTestSockets = sockets;
      window.WebSocket = function (...args) {
        const ws = new Native(...args);
        sockets.push(ws);
        ws.addEventListener('close', (event) => { ws.closeCode = event.code; });
        return ws;
      };
      window.WebSocket.prototype = Native.prototype;
      Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    })();
    """;

  private static Vertx vertx;
  private static Path dir;
  private static EmbeddedDatabase database;
  private static TestServer server;
  private static String baseUrl;

  @BeforeAll
  static void start() throws Exception {
    if (!Browser.installed()) {
      return;
    }
    vertx = Vertx.vertx();
    dir = TempDirs.createKept("podvault-e2e-session-end");
    database = EmbeddedDatabase.start(dir, DB_PASSWORD, 0);
    server = result(TestServer.start(vertx, database.coordinates(), Map.of()));
    baseUrl = "http://localhost:" + server.podvault.httpPort();
  }

  @BeforeEach
  void needsChromium() {
    assumeTrue(Browser.installed(), "skipped: the browser tests need Debian's chromium at " + Browser.CHROMIUM
      + " and " + Browser.CHROMEDRIVER + " (apt-get install -y chromium chromium-driver)");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      result(server.stop());
    }
    if (database != null) {
      database.close();
    }
    if (vertx != null) {
      result(vertx.close());
    }
    if (dir != null) {
      TempDirs.deleteQuietly(dir);
    }
  }

  @Test
  @DisplayName("a page loaded after a restore with a token from before it shows the restore notice on the sign-in page")
  void pageLoadedAfterARestore() throws Exception {
    String before = result(server.adminToken());
    String user = result(server.get("/api/auth/me", before).send()).bodyAsString();
    restore(before);

    try (Browser page = Browser.open(baseUrl, 1024, 768)) {
      page.driver.get(baseUrl + "/index.html");
      page.script("localStorage.setItem('podvault.token', arguments[0]); localStorage.setItem('podvault.user', arguments[1]);",
        before, user);
      page.driver.get(baseUrl + "/settings.html");
      page.waitUntil(Duration.ofSeconds(20), onSignInPage());
      assertThat(page.text("notice")).isEqualTo(RESTORED_NOTICE);
      assertThat(page.script("return localStorage.getItem('podvault.token')")).as("the token is gone").isNull();
    }
  }

  @Test
  @DisplayName("an administrator's page reloads into the view of a user who is not one when the user is demoted")
  void demotedAdministratorsPageReloads() throws Exception {
    String demoted = "demoted-admin";
    result(server.userToken(result(server.adminToken()), demoted, "demoted-admin-password", true));
    // A backup that another process (the command line) runs, holding the job lock as a running job does (a record
    // of a job without it is an orphan, which the server fails): an administrator's socket receives its state once it
    // has authenticated, which tells this test that the page's live connection stands.
    UUID job = UUID.randomUUID();
    JsonObject progress = new JsonObject().put("type", "job").put("job_id", job.toString()).put("kind", "backup")
      .put("state", "running").put("phase", Phase.DUMPING.wireName()).put("phase_text", Phase.DUMPING.text())
      .put("started_by", "cli");
    try (Connection otherProcess = Connections.open(server.db); Browser page = Browser.open(baseUrl, 1024, 768)) {
      assertThat(JobLock.tryAcquire(otherProcess)).isTrue();
      execute("INSERT INTO podvault.jobs (id, kind, state, started_by, progress) VALUES (?, 'backup', 'running', 'cli', ?::jsonb)",
        job, progress.encode());
      page.signIn(demoted, "demoted-admin-password");
      page.waitUntil(Duration.ofSeconds(20), ExpectedConditions.textToBe(By.id("job-started-by"), "Started by cli"));
      assertThat(page.find("admin-settings").isDisplayed()).isTrue();

      execute("UPDATE \"Users\" SET isadmin = false WHERE username = ?", demoted);
      page.waitUntil(Duration.ofSeconds(60), ExpectedConditions.textToBe(By.id("who"), demoted));
      assertThat(page.driver.getCurrentUrl()).as("still signed in").endsWith("/settings.html");
      assertThat(page.find("admin-settings").isDisplayed()).as("the backup and restore are gone").isFalse();
    } finally {
      execute("DELETE FROM podvault.jobs WHERE id = ?", job);
    }
  }

  @Test
  @DisplayName("while the database is down a page keeps its session: it says the server is unavailable, its live connection keeps retrying, and both recover when the database is back")
  void databaseDown() throws Exception {
    try (Browser page = Browser.open(baseUrl, 1024, 768)) {
      page.driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", SOCKET_RECORDER));
      page.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      page.waitUntil(Duration.ofSeconds(20), d -> openSockets(page) == 1);
      String token = (String) page.script("return localStorage.getItem('podvault.token')");

      int port = database.coordinates().port();
      database.close();
      try {
        // The live connection drops while the database is down: the server cannot check the token on reconnection.
        page.script("window.podvaultTestSockets.forEach((ws) => ws.close())");
        page.waitUntil(Duration.ofSeconds(60), d -> (Long) page.script(
          "return window.podvaultTestSockets.filter((ws) => ws.closeCode === 1013).length") >= 2);
        assertThat(page.driver.getCurrentUrl()).as("the page stays").endsWith("/settings.html");
        assertThat(page.script("return localStorage.getItem('podvault.token')")).as("the token is kept").isEqualTo(token);

        page.driver.navigate().refresh();
        page.waitUntil(Duration.ofSeconds(20), ExpectedConditions.textToBe(By.id("account"), UNAVAILABLE));
        assertThat(page.driver.getCurrentUrl()).endsWith("/settings.html");
        assertThat(page.script("return localStorage.getItem('podvault.token')")).isEqualTo(token);
      } finally {
        database = EmbeddedDatabase.start(dir, DB_PASSWORD, port);
      }
      page.waitUntil(Duration.ofSeconds(60), ExpectedConditions.textToBe(By.id("account"), "Signed in as admin."));
      page.waitUntil(Duration.ofSeconds(60), d -> openSockets(page) == 1);
      // The page's own requests after the reload (the Scheduled Backups section loads once the user is known) have
      // been answered: one still in flight at the logout would be refused 401 and sign the page out by itself.
      page.waitUntil(Duration.ofSeconds(30), d -> (Boolean) page.script("return document.getElementById('schedule-last')"
        + ".textContent !== '' && (!document.getElementById('files-empty').hidden"
        + " || document.getElementById('files-body').children.length > 0)"));
      // The live connection is back with the same session: a sign-out of that session elsewhere reaches the page.
      assertThat(result(server.client.post("/api/auth/logout").bearerTokenAuthentication(token).send()).statusCode())
        .isEqualTo(200);
      page.waitUntil(Duration.ofSeconds(20), onSignInPage());
      assertThat(page.text("notice")).isEqualTo(SIGNED_OUT_NOTICE);
    }
  }

  private static void execute(String sql, Object... parameters) throws Exception {
    try (Connection c = Connections.open(server.db); PreparedStatement statement = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      statement.execute();
    }
  }

  private static long openSockets(Browser page) {
    return (Long) page.script("return window.podvaultTestSockets.filter((ws) => ws.readyState === WebSocket.OPEN).length");
  }

  private static void restore(String token) {
    Path file = TestServer.tempDir("session-end-backup").resolve("server_backup.sql");
    assertThat(result(server.downloadBackup(token, DB_PASSWORD, file)).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> accepted = result(server.uploadRestore(token, file, DB_PASSWORD));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    assertThat(server.awaitJob(token, accepted.bodyAsJsonObject().getString("job_id")).getString("state"))
      .isEqualTo("succeeded");
  }

  private static org.openqa.selenium.support.ui.ExpectedCondition<Boolean> onSignInPage() {
    return (WebDriver driver) -> driver.getCurrentUrl().endsWith("/index.html")
      && !driver.findElements(By.id("notice")).isEmpty()
      && driver.findElement(By.id("notice")).isDisplayed();
  }
}
