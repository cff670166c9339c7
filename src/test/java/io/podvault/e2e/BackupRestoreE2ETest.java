package io.podvault.e2e;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.db.Connections;
import io.podvault.support.PinePodsData;
import io.podvault.support.Sealing;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The Settings page in real browsers against a real server: backup through the browser's download manager,
 * restore with confirmation, live progress on every administrator's page over the WebSocket, and the
 * sign-out of every page when the restore has replaced the data.
 */
@DisplayName("Backup and restore in the browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupRestoreE2ETest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static final String ADMIN_B = "second-admin";
  private static final String ADMIN_B_PASSWORD = "second-admin-password";
  private static final String USER_C = "listener";
  private static final String USER_C_PASSWORD = "listener-password";
  private static final String RESTORED_NOTICE = "The server was restored; please sign in again.";
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Keeps what the page showed in sessionStorage, which outlives the page's move to the sign-in page: each
   * new phase text and each overall-bar value, with the kind of job and the phase they belong to, and each
   * backup status text. Installed again after a reload, it goes on with the same record.
   */
  private static final String RECORDER = """
    const key = 'podvault.e2e.record';
    const log = JSON.parse(sessionStorage.getItem(key) || '{"phases":[],"bars":[],"backup":[]}');
    const save = () => sessionStorage.setItem(key, JSON.stringify(log));
    const card = document.getElementById('job-progress');
    const phase = document.getElementById('job-phase');
    const bar = document.getElementById('job-overall');
    const status = document.getElementById('backup-status');
    const texts = { childList: true, characterData: true, subtree: true };
    new MutationObserver(() => {
      const last = log.phases[log.phases.length - 1];
      if (phase.textContent && !(last && last.kind === card.dataset.kind && last.phase === phase.textContent)) {
        log.phases.push({ kind: card.dataset.kind, phase: phase.textContent });
        save();
      }
    }).observe(phase, texts);
    new MutationObserver(() => {
      if (status.textContent && log.backup[log.backup.length - 1] !== status.textContent) {
        log.backup.push(status.textContent);
        save();
      }
    }).observe(status, texts);
    new MutationObserver(() => {
      if (bar.hasAttribute('value')) {
        log.bars.push({ kind: card.dataset.kind, phase: phase.textContent, value: bar.value, max: bar.max });
        save();
      }
    }).observe(bar, { attributes: true, attributeFilter: ['value', 'max'] });
    """;

  private static Vertx vertx;
  private static TestServer server;
  private static String baseUrl;

  @BeforeAll
  static void start() throws Exception {
    if (!Browser.installed()) {
      return;
    }
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
    baseUrl = "http://localhost:" + server.podvault.httpPort();
    String admin = result(server.adminToken());
    result(server.userToken(admin, ADMIN_B, ADMIN_B_PASSWORD, true));
    result(server.userToken(admin, USER_C, USER_C_PASSWORD, false));
    // Enough rows that the restore runs for a few seconds, long enough to watch it advance.
    try (Connection c = Connections.open(server.db)) {
      PinePodsData.fillLarge(c, 60_000, 120_000);
    }
  }

  /** Here rather than in {@code @BeforeAll}, so that every skipped test is reported with the reason. */
  @BeforeEach
  void needsChromium() {
    assumeTrue(Browser.installed(), "skipped: the browser tests need Debian's chromium at " + Browser.CHROMIUM
      + " and " + Browser.CHROMEDRIVER + " (apt-get install -y chromium chromium-driver)");
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      result(server.stop());
    }
    if (vertx != null) {
      result(vertx.close());
    }
  }

  @Test
  @Order(1)
  @DisplayName("a wrong database password in Backup shows the server's message next to the button, and nothing is downloaded")
  void wrongBackupPasswordShowsTheServersMessage() throws Exception {
    HttpResponse<Buffer> refused = result(server.client.post("/api/data/backup_server")
      .bearerTokenAuthentication(result(server.adminToken()))
      .sendJsonObject(new JsonObject().put("database_pass", "not-the-database-password")));
    assertThat(refused.statusCode()).isEqualTo(403);
    String message = TestServer.error(refused);

    try (Browser a = Browser.open(baseUrl, 1280, 900)) {
      a.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      a.find("backup-button").click();
      assertThat(a.text("backup-error")).isEqualTo("Enter the database password.");

      a.find("backup-password").sendKeys("not-the-database-password");
      a.find("backup-button").click();
      a.waitUntil(Duration.ofSeconds(30), ExpectedConditions.textToBePresentInElementLocated(By.id("backup-error"),
        message.substring(1)));
      assertThat(a.text("backup-error")).isEqualToIgnoringCase(message + ".");
      assertThat(a.text("backup-status")).isEmpty();
      assertThat(a.downloaded()).as("nothing is downloaded").isEmpty();
    }
  }

  @Test
  @Order(2)
  @DisplayName("an administrator downloads a backup and restores it; every administrator watches it advance, and every page is signed out at the end")
  void backupThenRestoreWithLiveProgress() throws Exception {
    try (Browser a = Browser.open(baseUrl, 1280, 1000);
         Browser b = Browser.open(baseUrl, 390, 844);
         Browser c = Browser.open(baseUrl, 1024, 768)) {
      a.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      b.signIn(ADMIN_B, ADMIN_B_PASSWORD);
      c.signIn(USER_C, USER_C_PASSWORD);
      assertThat(c.find("admin-settings").isDisplayed()).as("a user who is not an administrator has no backup").isFalse();
      a.script(RECORDER);
      b.script(RECORDER);

      Path backup = downloadBackup(a);
      assertThat(record(a).getJsonArray("backup").getList())
        .containsSubsequence("Your backup is downloading.", "Your backup is complete: server_backup.sql is in your browser’s downloads.");
      b.waitUntil(Duration.ofSeconds(30), ExpectedConditions.textToBe(By.id("job-title"), "Backup finished"));
      assertThat(b.text("job-started-by")).isEqualTo("Started by " + TestServer.ADMIN);

      chooseAndConfirm(a, backup, "not-the-database-password");
      a.waitUntil(Duration.ofMinutes(2), ExpectedConditions.visibilityOfElementLocated(By.id("restore-error")));
      assertThat(a.text("restore-error")).startsWith("The password you entered is not this server’s database password.");
      assertThat(a.find("restore-server-password").isDisplayed()).as("this server's password is asked for now").isTrue();
      Path foreign = Sealing.resealed(backup, backup.resolveSibling("server_backup_elsewhere.sql"), "another server's password");
      chooseAndConfirm(a, foreign, "another server's password");
      a.waitUntil(Duration.ofMinutes(2), ExpectedConditions.visibilityOfElementLocated(By.id("restore-server-password")));
      a.find("restore-server-password").sendKeys("a wrong guess");
      a.find("restore-button").click();
      a.find("confirm-restore").click();
      a.waitUntil(Duration.ofMinutes(2), ExpectedConditions.textToBe(By.id("restore-error"),
        "The field 'server_database_pass' is not this server's database password."));

      // A reader of a live table holds the swap back (it waits for the table), so the restore is still under way
      // when the page is reloaded, however fast the load before it was.
      try (Connection reader = Connections.open(server.db)) {
        reader.setAutoCommit(false);
        reader.createStatement().execute("LOCK TABLE \"Users\" IN ACCESS SHARE MODE");
        chooseAndConfirm(a, backup, DB_PASSWORD);
        String banner = "A restore started by " + TestServer.ADMIN + " is under way; everyone will be signed out when it finishes.";
        for (Browser admin : List.of(a, b)) {
          admin.waitUntil(Duration.ofSeconds(60), ExpectedConditions.textToBe(By.id("restore-banner"), banner));
        }
        screenshotWhileLoading(a, b);
        reloadPicksTheProgressBackUp(b);
        reader.rollback();
      }

      for (Browser page : List.of(a, b, c)) {
        page.waitUntil(RESTORE_TIMEOUT, onSignInPage());
        assertThat(page.text("notice")).isEqualTo(RESTORED_NOTICE);
        assertThat(page.script("return localStorage.getItem('podvault.token')")).as("the token is gone").isNull();
      }
      for (Browser admin : List.of(a, b)) {
        JsonObject seen = record(admin);
        assertThat(restore(seen.getJsonArray("phases")).stream().map(p -> p.getString("phase")).distinct())
          .as("the restore's phases as shown").contains("Receiving, checking and loading the file", "Building indexes");
        assertThat(advanced(restore(seen.getJsonArray("bars"))))
          .as("within a phase of the restore the overall bar moved forward: " + seen.getJsonArray("bars")).isTrue();
      }
    }
  }

  @Test
  @Order(3)
  @DisplayName("a backup in PinePods' format downloads from the page and restores from it; the page says the file is "
    + "checked by structure only, and its check goes by bytes")
  void pinePodsFormatBothWays() throws Exception {
    Map<String, String> before;
    try (Connection c = Connections.open(server.db)) {
      before = PinePodsData.tableChecksums(c, "public");
    }
    try (Browser a = Browser.open(baseUrl, 1280, 1000)) {
      a.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      a.script(RECORDER);
      a.driver.findElement(By.cssSelector("input[name='format'][value='pinepods']")).click();
      a.find("backup-password").sendKeys(DB_PASSWORD);
      a.find("backup-button").click();
      Path file = a.awaitDownload("server_backup.sql", Duration.ofMinutes(3));
      assertThat(Files.readString(file)).startsWith("--\n-- PostgreSQL database dump\n--\n")
        .contains("\n-- PostgreSQL database dump complete\n").doesNotContain("podvault trailer");

      // The restore's status lasts until the sign-out moves the page on: kept where the next page can read it.
      a.script("const s = document.getElementById('restore-status'); new MutationObserver(() => { if (s.textContent) "
        + "{ sessionStorage.setItem('podvault.e2e.restoreStatus', s.textContent); } }).observe(s, { childList: true, "
        + "characterData: true, subtree: true });");
      chooseAndConfirm(a, file, DB_PASSWORD);
      a.waitUntil(RESTORE_TIMEOUT, onSignInPage());
      assertThat(a.text("notice")).isEqualTo(RESTORED_NOTICE);
      assertThat((String) a.script("return sessionStorage.getItem('podvault.e2e.restoreStatus')"))
        .startsWith("PinePods backup (not sealed): checked by structure. The restore has started.");
      JsonObject seen = record(a);
      for (JsonObject bar : restore(seen.getJsonArray("bars"))) {
        if (bar.getString("phase").equals("Receiving, checking and loading the file")) {
          assertThat(bar.getDouble("max")).as("the check's bar counts the file's bytes").isGreaterThan(Files.size(file) / 2.0);
        }
      }
    }
    try (Connection c = Connections.open(server.db)) {
      Map<String, String> after = PinePodsData.tableChecksums(c, "public");
      for (String signIns : List.of("Sessions", "GpodderSessions")) {
        before.remove(signIns);
        after.remove(signIns);
      }
      assertThat(after).isEqualTo(before);
    }
  }

  private static Path downloadBackup(Browser a) throws Exception {
    a.find("backup-password").sendKeys(DB_PASSWORD);
    a.find("backup-button").click();
    Path file = a.awaitDownload("server_backup.sql", Duration.ofMinutes(3));
    assertThat(lastLine(file)).startsWith("-- podvault trailer:");
    a.waitUntil(Duration.ofSeconds(30), ExpectedConditions.textToBePresentInElementLocated(By.id("backup-status"),
      "Your backup is complete"));
    assertThat(a.find("backup-error").isDisplayed()).isFalse();
    return file;
  }

  private static void chooseAndConfirm(Browser a, Path file, String password) {
    a.find("restore-file").clear();
    a.find("restore-file").sendKeys(file.toString());
    a.find("restore-password").clear();
    a.find("restore-password").sendKeys(password);
    a.find("restore-button").click();
    a.waitUntil(Duration.ofSeconds(10), ExpectedConditions.visibilityOfElementLocated(By.id("restore-confirm")));
    assertThat(a.text("confirm-file")).isEqualTo(file.getFileName().toString());
    assertThat(a.text("confirm-size")).matches("[0-9.]+ (KB|MB|GB)");
    a.find("confirm-restore").click();
  }

  /**
   * Saves the administrators' progress views once the rows are loading with a measured rate (or, on a fast
   * machine, indexed), or else once the restore waits at its swap, which the test holds back.
   */
  private static void screenshotWhileLoading(Browser a, Browser b) throws Exception {
    a.waitUntil(Duration.ofSeconds(60), driver -> List.of("Receiving, checking and loading the file", "Loading the last rows",
        "Building indexes").contains(a.text("job-phase"))
      && a.find("job-table-meter").isDisplayed() && !a.text("job-rate").startsWith("Measuring")
      || "Swapping in the restored data".equals(a.text("job-phase")));
    a.screenshot(SCREENSHOTS.resolve("restore-progress.png"));
    b.screenshot(SCREENSHOTS.resolve("restore-progress-phone.png"));
  }

  /** The server sends a socket that connects mid-job the job's latest event, so a reload shows the job again. */
  private static void reloadPicksTheProgressBackUp(Browser b) {
    b.driver.navigate().refresh();
    b.waitUntil(Duration.ofSeconds(20), ExpectedConditions.visibilityOfElementLocated(By.id("job-phase")));
    b.script(RECORDER);
    assertThat(b.find("restore-banner").isDisplayed()).isTrue();
    assertThat(b.text("job-title")).isEqualTo("Restore in progress");
    assertThat(b.text("job-started-by")).isEqualTo("Started by " + TestServer.ADMIN);
  }

  private static org.openqa.selenium.support.ui.ExpectedCondition<Boolean> onSignInPage() {
    return (WebDriver driver) -> driver.getCurrentUrl().endsWith("/index.html")
      && !driver.findElements(By.id("notice")).isEmpty()
      && driver.findElement(By.id("notice")).isDisplayed();
  }

  private static JsonObject record(Browser browser) {
    return new JsonObject((String) browser.script("return sessionStorage.getItem('podvault.e2e.record')"));
  }

  private static List<JsonObject> restore(JsonArray entries) {
    return entries.stream().map(JsonObject.class::cast).filter(e -> "restore".equals(e.getString("kind"))).toList();
  }

  /** True when, within one phase, the overall bar's value grew from one event to the next. */
  private static boolean advanced(List<JsonObject> bars) {
    for (int i = 1; i < bars.size(); i++) {
      JsonObject before = bars.get(i - 1);
      JsonObject after = bars.get(i);
      if (before.getString("phase").equals(after.getString("phase"))
        && after.getDouble("value") > before.getDouble("value")) {
        return true;
      }
    }
    return false;
  }

  private static String lastLine(Path file) throws Exception {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return lines.filter(line -> !line.isEmpty()).reduce((first, second) -> second).orElse("");
    }
  }
}
