package io.podvault.metrics;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.podvault.support.Await;
import io.podvault.support.ChildServer;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("GET /metrics in Prometheus' format, from a server process")
class MetricsTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    result(vertx.close());
  }

  @Test
  @DisplayName("counts jobs by kind and outcome with their durations, the last successful backup's time, and Vert.x's HTTP figures")
  void jobsBackupsAndHttp() throws Exception {
    Path data = TestServer.tempDir("podvault-metrics").resolve("data");
    String db = TestPostgres.url(TestPostgres.freshDatabase());
    ChildServer child = ChildServer.start(vertx, data, Map.of("PODVAULT_DB_URL", db));
    double lastBackup;
    try {
      String before = metrics(child);
      assertThat(value(before, "podvault_last_successful_backup_timestamp_seconds")).isZero();

      String token = child.adminToken();
      HttpResponse<Buffer> started = result(child.client.post("/api/data/manual_backup_to_directory")
        .bearerTokenAuthentication(token).sendJsonObject(new JsonObject()));
      assertThat(started.statusCode()).as(started.bodyAsString()).isEqualTo(202);
      Await.until("a successful backup in the metrics", () -> value(metrics(child),
        "podvault_jobs_seconds_count{kind=\"backup\",outcome=\"succeeded\"}") == 1);

      String after = metrics(child);
      assertThat(value(after, "podvault_last_successful_backup_timestamp_seconds"))
        .isBetween(System.currentTimeMillis() / 1000.0 - 120, System.currentTimeMillis() / 1000.0 + 1);
      assertThat(value(after, "podvault_jobs_seconds_sum{kind=\"backup\",outcome=\"succeeded\"}")).isPositive();
      assertThat(after).contains("podvault_last_job_rows_per_second{kind=\"backup\"}").contains("vertx_http_server_requests_total");
      lastBackup = value(after, "podvault_last_successful_backup_timestamp_seconds");
    } finally {
      child.stop();
    }
    // A new process knows the database's last successful backup from its start: a restart is no missing backup.
    ChildServer next = ChildServer.start(vertx, TestServer.tempDir("podvault-metrics-2").resolve("data"), Map.of("PODVAULT_DB_URL", db));
    try {
      assertThat(value(metrics(next), "podvault_last_successful_backup_timestamp_seconds")).isCloseTo(lastBackup, within(2.0));
    } finally {
      next.stop();
    }
  }

  private static String metrics(ChildServer child) {
    HttpResponse<Buffer> response = result(child.client.get("/metrics").send());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("text/plain");
    return response.bodyAsString();
  }

  /** The value of a series, given by its name and labels as the text shows them; -1 when it is not there. */
  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }
}
