package io.podvault.e2e;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.support.ChildServer;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

@DisplayName("Clustered mode in the browser")
class ClusterE2ETest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("two administrators on different nodes both watch a restore started on the first, and both are signed out")
  void adminsOnTwoNodes() throws Exception {
    assumeTrue(Browser.installed(), "skipped: the browser tests need Debian's chromium at " + Browser.CHROMIUM
      + " and " + Browser.CHROMEDRIVER + " (apt-get install -y chromium chromium-driver)");
    Vertx vertx = Vertx.vertx();
    DbCoordinates db = TestPostgres.freshDatabase();
    List<ChildServer> nodes = ChildServer.startCluster(vertx, db, dir, 2);
    try {
      try (Connection c = Connections.open(db)) {
        PinePodsData.fillLarge(c, 20_000, 60_000);
      }
      ChildServer first = nodes.get(0);
      ChildServer second = nodes.get(1);
      String admin = first.adminToken();
      HttpResponse<Buffer> created = result(first.client.post("/api/admin/users").bearerTokenAuthentication(admin)
        .sendJsonObject(new JsonObject().put("username", "admin-b").put("password", "admin-b-password").put("is_admin", true)));
      assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
      HttpResponse<Buffer> download = result(first.client.post("/api/data/backup_server").bearerTokenAuthentication(admin)
        .sendJsonObject(new JsonObject().put("database_pass", TestPostgres.PASSWORD)));
      Path backup = Files.write(dir.resolve("server_backup.sql"), download.body().getBytes());

      try (Browser a = Browser.open("http://localhost:" + first.port, 1280, 1000);
           Browser b = Browser.open("http://localhost:" + second.port, 1280, 1000)) {
        a.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        b.signIn("admin-b", "admin-b-password");
        String banner = "A restore started by " + TestServer.ADMIN + " is under way; everyone will be signed out when it finishes.";
        try (Connection reader = Connections.open(db)) {
          // Holds the swap back, so that both pages are seen in the middle of the restore.
          reader.setAutoCommit(false);
          reader.createStatement().execute("LOCK TABLE \"Users\" IN ACCESS SHARE MODE");
          HttpResponse<Buffer> accepted = result(first.client.post("/api/data/restore_server").bearerTokenAuthentication(admin)
            .sendMultipartForm(MultipartForm.create().attribute("database_pass", TestPostgres.PASSWORD)
              .binaryFileUpload("backup_file", "server_backup.sql", backup.toString(), "application/sql")));
          assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
          for (Browser page : List.of(a, b)) {
            page.waitUntil(Duration.ofSeconds(60), ExpectedConditions.textToBe(By.id("restore-banner"), banner));
            page.waitUntil(Duration.ofSeconds(60), ExpectedConditions.visibilityOfElementLocated(By.id("job-phase")));
          }
          reader.rollback();
        }
        for (Browser page : List.of(a, b)) {
          page.waitUntil(Duration.ofMinutes(2), driver -> driver.getCurrentUrl().endsWith("/index.html")
            && !driver.findElements(By.id("notice")).isEmpty() && driver.findElement(By.id("notice")).isDisplayed());
          assertThat(page.text("notice")).isEqualTo("The server was restored; please sign in again.");
        }
      }
    } finally {
      for (ChildServer node : nodes) {
        node.stop();
      }
      result(vertx.close());
    }
  }
}
