package io.podvault.folder;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.ConfigKeys;
import io.podvault.db.Connections;
import io.podvault.restore.BackupValidator;
import io.podvault.support.Await;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Scheduled backups: schedule_backup, get_scheduled_backup, runs and retention")
class ScheduleApiTest {

  private static Vertx vertx;
  private static TestServer server;
  private static String admin;
  private static Path folder;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    folder = TestServer.tempDir("podvault-test-schedule").resolve("backups");
    server = result(TestServer.startWithPinePodsData(vertx, 7, Map.of(ConfigKeys.BACKUP_DIR, folder.toString())));
    admin = result(server.adminToken());
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  @AfterEach
  void disable() throws Exception {
    schedule(server, new JsonObject().put("cron_schedule", "0 0 2 * * *").put("enabled", false));
    awaitNoRunningJob();
  }

  @Test
  @DisplayName("PinePods' six-field presets and the classic five-field form give the right next three runs, with offsets")
  void presetsAndNextRuns() {
    JsonObject daily = schedule(server, new JsonObject().put("cron_schedule", "0 0 2 * * *").put("enabled", true)
      .put("retention_count", 7).put("user_id", 1));
    assertThat(daily.getString("cron_schedule")).isEqualTo("0 0 2 * * *");
    assertThat(daily.getInteger("retention_count")).isEqualTo(7);
    List<OffsetDateTime> runs = runs(daily);
    assertThat(runs).hasSize(3).isSorted();
    assertThat(runs).allSatisfy(run -> assertThat(run.toLocalTime().toString()).isEqualTo("02:00"));
    assertThat(runs.get(1).minusDays(1).toLocalDate()).isEqualTo(runs.get(0).toLocalDate());
    assertThat(daily.getString("next_run")).isEqualTo(daily.getJsonArray("next_runs").getString(0));

    List<OffsetDateTime> sundays = runs(schedule(server, new JsonObject().put("cron_schedule", "0 0 3 * * 0").put("enabled", true)));
    assertThat(sundays).allSatisfy(run -> {
      assertThat(run.getDayOfWeek()).isEqualTo(DayOfWeek.SUNDAY);
      assertThat(run.toLocalTime().toString()).isEqualTo("03:00");
    });
    assertThat(runs(schedule(server, new JsonObject().put("cron_schedule", "0 0 */6 * * *").put("enabled", true))))
      .allSatisfy(run -> assertThat(run.getHour() % 6).isZero());
    assertThat(runs(schedule(server, new JsonObject().put("cron_schedule", "0 2 * * *").put("enabled", true))))
      .allSatisfy(run -> assertThat(run.toLocalTime().toString()).isEqualTo("02:00"));

    JsonObject off = schedule(server, new JsonObject().put("cron_schedule", "0 0 2 * * *").put("enabled", false));
    assertThat(off.getValue("next_run")).isNull();
    JsonObject read = post("get_scheduled_backup", new JsonObject()).bodyAsJsonObject();
    assertThat(read.getBoolean("enabled")).isFalse();
    assertThat(read.getString("time_zone")).isNotBlank();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bad", "61 0 2 * * *", "0 0 25 * * *", "0 0 2 * * * * *", "0 0 2 30 2 *"})
  @DisplayName("an invalid cron expression is 400 and says why; the schedule stays as it was")
  void invalidExpressions(String expression) {
    schedule(server, new JsonObject().put("cron_schedule", "0 0 2 * * *").put("enabled", false));
    HttpResponse<Buffer> response = post("schedule_backup", new JsonObject().put("cron_schedule", expression).put("enabled", true));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    assertThat(TestServer.error(response)).contains("cron_schedule");
    assertThat(post("get_scheduled_backup", new JsonObject()).bodyAsJsonObject().getString("cron_schedule")).isEqualTo("0 0 2 * * *");
  }

  @Test
  @DisplayName("a retention that is not a whole number from 1 is 400")
  void invalidRetention() {
    for (Object retention : List.of(0, -1, 2.5, "seven")) {
      HttpResponse<Buffer> response = post("schedule_backup", new JsonObject().put("cron_schedule", "0 0 2 * * *")
        .put("enabled", true).put("retention_count", retention));
      assertThat(response.statusCode()).as(String.valueOf(retention)).isEqualTo(400);
      assertThat(TestServer.error(response)).contains("retention_count");
    }
  }

  @Test
  @DisplayName("a schedule every two seconds makes sealed, whole files, and retention keeps exactly the newest two")
  void runsAndRetention() throws Exception {
    long before = scheduledJobs("succeeded");
    schedule(server, new JsonObject().put("cron_schedule", "*/2 * * * * *").put("enabled", true).put("retention_count", 2));
    Await.until("four scheduled backups succeeded", () -> scheduledJobs("succeeded") >= before + 4);
    schedule(server, new JsonObject().put("cron_schedule", "*/2 * * * * *").put("enabled", false));
    awaitNoRunningJob();

    List<JsonObject> own = new ArrayList<>();
    for (Object entry : listed()) {
      if (((JsonObject) entry).getString("filename").startsWith("podvault-")) {
        own.add((JsonObject) entry);
      }
    }
    assertThat(own).hasSize(2).allSatisfy(entry -> assertThat(entry.getBoolean("complete")).isTrue());
    Path plain = dir.resolve("scheduled.sql");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(folder.resolve(own.get(0).getString("filename"))))) {
      Files.copy(in, plain);
    }
    new BackupValidator(server.db, BackupValidator.Progress.NONE).validate(plain, TestPostgres.PASSWORD);

    JsonObject outcome = post("get_scheduled_backup", new JsonObject()).bodyAsJsonObject().getJsonObject("last_outcome");
    assertThat(outcome.getString("state")).isEqualTo("succeeded");
    assertThat(outcome.getString("job_id")).isNotBlank();
  }

  @Test
  @DisplayName("two processes on one database run each scheduled backup once")
  void twoProcessesRunItOnce() throws Exception {
    Path otherFolder = TestServer.tempDir("podvault-test-schedule-2");
    // A Vert.x of its own: one event bus per server, as in separate processes.
    Vertx own = Vertx.vertx();
    TestServer other = result(TestServer.start(own, server.db, Map.of(ConfigKeys.BACKUP_DIR, otherFolder.toString())));
    try {
      long before = scheduledJobs("succeeded");
      schedule(server, new JsonObject().put("cron_schedule", "*/3 * * * * *").put("enabled", true));
      Set<String> refusals = new HashSet<>();
      long until = System.currentTimeMillis() + 12_000;
      while (System.currentTimeMillis() < until) {
        JsonObject outcome = post("get_scheduled_backup", new JsonObject()).bodyAsJsonObject().getJsonObject("last_outcome");
        if (outcome != null && "not_started".equals(outcome.getString("state"))) {
          refusals.add(outcome.getString("error"));
        }
        Thread.sleep(100);
      }
      schedule(server, new JsonObject().put("cron_schedule", "*/3 * * * * *").put("enabled", false));
      awaitNoRunningJob();
      assertThat(refusals).as("a second process claimed a run and was refused the job lock").isEmpty();
      List<Long> slots = scheduledJobSlots(3);
      assertThat(slots).doesNotHaveDuplicates();
      assertThat(scheduledJobs("succeeded") - before).isBetween(3L, 5L);
    } finally {
      result(other.stop());
      result(own.close());
    }
  }

  private static JsonObject schedule(TestServer on, JsonObject request) {
    HttpResponse<Buffer> response = Await.result(on.client.post("/api/data/schedule_backup").bearerTokenAuthentication(admin)
      .sendJsonObject(request));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> post(String endpoint, JsonObject body) {
    return result(server.client.post("/api/data/" + endpoint).bearerTokenAuthentication(admin).sendJsonObject(body));
  }

  private static List<OffsetDateTime> runs(JsonObject schedule) {
    return schedule.getJsonArray("next_runs").stream().map(run -> OffsetDateTime.parse((String) run)).toList();
  }

  private static JsonArray listed() {
    return post("list_backup_files", new JsonObject()).bodyAsJsonObject().getJsonArray("backup_files");
  }

  private static long scheduledJobs(String state) {
    return number("SELECT count(*) FROM podvault.jobs WHERE started_by = 'schedule' AND state = '" + state + "'");
  }

  /** The slot of {@code seconds} each scheduled job started in: a run claimed twice would show as one slot twice. */
  private static List<Long> scheduledJobSlots(int seconds) throws Exception {
    List<Long> slots = new ArrayList<>();
    try (Connection c = Connections.open(server.db); Statement s = c.createStatement();
      ResultSet rs = s.executeQuery("SELECT floor(extract(epoch FROM started_at) / " + seconds + ")::bigint FROM podvault.jobs "
        + "WHERE started_by = 'schedule' ORDER BY started_at")) {
      while (rs.next()) {
        slots.add(rs.getLong(1));
      }
    }
    return slots;
  }

  private static void awaitNoRunningJob() throws InterruptedException {
    Await.until("no job running", () -> number("SELECT count(*) FROM podvault.jobs WHERE state = 'running'") == 0);
  }

  private static long number(String sql) {
    try (Connection c = Connections.open(server.db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
