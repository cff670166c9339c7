package io.podvault.e2e;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.config.ConfigKeys;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.support.Await;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

@DisplayName("Scheduled backups and the backup folder in the browser")
class ScheduleE2ETest {

  private static Vertx vertx;
  private static TestServer server;
  private static String baseUrl;
  private static Path folder;
  private static String admin;

  @BeforeAll
  static void start() throws Exception {
    if (!Browser.installed()) {
      return;
    }
    vertx = Vertx.vertx();
    folder = TestServer.tempDir("podvault-e2e-backups").resolve("backups");
    server = result(TestServer.startWithPinePodsData(vertx, 11, Map.of(ConfigKeys.BACKUP_DIR, folder.toString())));
    baseUrl = "http://localhost:" + server.podvault.httpPort();
    admin = result(server.adminToken());
  }

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
  @DisplayName("an administrator saves a preset schedule and sees its next runs, backs up now, and downloads the file from the list")
  void presetBackUpNowAndDownload() throws Exception {
    try (Browser a = Browser.open(baseUrl, 1280, 1000)) {
      a.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      new Select(a.find("schedule-preset")).selectByVisibleText("Every 6 hours");
      a.find("schedule-retention").clear();
      a.find("schedule-retention").sendKeys("3");
      if (!a.find("schedule-enabled").isSelected()) {
        a.find("schedule-enabled").click();
      }
      a.find("schedule-save").click();
      a.waitUntil(Duration.ofSeconds(20), ExpectedConditions.textToBePresentInElementLocated(By.id("schedule-status"),
        "Schedule saved."));
      assertThat(a.text("schedule-next")).startsWith("Next runs: ");
      assertThat(a.text("schedule-next").replaceAll(" \\(server time.*", "").split(", ")).hasSize(3).allSatisfy(run -> assertThat(run).containsPattern("\\d\\d:00:00"));
      JsonObject saved = api("get_scheduled_backup", new JsonObject()).bodyAsJsonObject();
      assertThat(saved.getString("cron_schedule")).isEqualTo("0 0 */6 * * *");
      assertThat(saved.getInteger("retention_count")).isEqualTo(3);
      assertThat(saved.getBoolean("enabled")).isTrue();

      a.find("backup-now").click();
      WebElement row = a.waitUntil(Duration.ofSeconds(60),
        ExpectedConditions.presenceOfElementLocated(By.xpath("//tbody[@id='files-body']/tr[td[starts-with(., 'podvault-')]]")));
      String name = row.findElement(By.xpath("td[1]")).getText();
      assertThat(folder.resolve(name)).exists();

      row.findElement(By.xpath(".//button[text()='Download']")).click();
      assertThat(a.text("files-error")).isEqualTo("Enter the database password first.");
      a.find("files-password").sendKeys("not-the-database-password");
      row.findElement(By.xpath(".//button[text()='Download']")).click();
      a.waitUntil(Duration.ofSeconds(20), ExpectedConditions.textToBePresentInElementLocated(By.id("files-error"),
        "database password"));
      assertThat(a.downloaded()).as("nothing is downloaded").isEmpty();
      a.find("files-password").clear();
      a.find("files-password").sendKeys(TestPostgres.PASSWORD);
      row.findElement(By.xpath(".//button[text()='Download']")).click();
      Path downloaded = a.awaitDownload(name, Duration.ofSeconds(60));
      assertThat(Files.readAllBytes(downloaded)).isEqualTo(Files.readAllBytes(folder.resolve(name)));
    } finally {
      api("schedule_backup", new JsonObject().put("cron_schedule", "0 0 2 * * *").put("enabled", false));
    }
  }

  @Test
  @DisplayName("a scheduled backup that could not start shows a banner on an open Settings page as it happens, and after a reload")
  void bannerForARunThatDidNotStart() throws Exception {
    try (Browser a = Browser.open(baseUrl, 1280, 1000)) {
      a.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      a.waitUntil(Duration.ofSeconds(20), ExpectedConditions.textToBePresentInElementLocated(By.id("schedule-last"), "scheduled"));
      assertThat(a.find("schedule-banner").isDisplayed()).as("no banner before the refused run").isFalse();
      try (Connection other = Connections.open(server.db)) {
        assertThat(JobLock.tryAcquire(other)).isTrue();
        api("schedule_backup", new JsonObject().put("cron_schedule", "*/2 * * * * *").put("enabled", true));
        // The page was loaded before the run: only the WebSocket can bring the banner.
        a.waitUntil(Duration.ofSeconds(20), ExpectedConditions.visibilityOfElementLocated(By.id("schedule-banner")));
        api("schedule_backup", new JsonObject().put("cron_schedule", "*/2 * * * * *").put("enabled", false));
      }
      assertThat(a.text("schedule-banner")).contains("did not start:").contains("already running");
    }
    try (Browser b = Browser.open(baseUrl, 1280, 1000)) {
      b.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
      b.waitUntil(Duration.ofSeconds(20), ExpectedConditions.visibilityOfElementLocated(By.id("schedule-banner")));
      assertThat(b.text("schedule-banner")).startsWith("The last scheduled backup did not start:").contains("already running");
    }
  }

  private static HttpResponse<Buffer> api(String endpoint, JsonObject body) {
    HttpResponse<Buffer> response = result(server.client.post("/api/data/" + endpoint)
      .bearerTokenAuthentication(admin).sendJsonObject(body));
    assertThat(response.statusCode()).as(response.bodyAsString()).isBetween(200, 299);
    return response;
  }
}
