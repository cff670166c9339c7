package io.podvault.dump;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.support.DebianPostgres;
import io.podvault.support.PinePodsData;
import io.podvault.support.Psql;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Export for PinePods: POST /api/data/backup_server with \"format\":\"pinepods\"")
class PinePodsExportTest {

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static final List<String> SIGN_INS = List.of("Sessions", "GpodderSessions");
  /**
   * What PinePods' restore sends psql around the uploaded file, in one transaction with ON_ERROR_STOP: every
   * table of its schema emptied, with foreign keys and triggers off while the rows load.
   */
  private static final String PINEPODS_RESTORE_BEFORE = """
    SET session_replication_role = replica;
    DO $$ DECLARE r RECORD; BEGIN
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('TRUNCATE TABLE %I RESTART IDENTITY CASCADE', r.tablename);
    END LOOP; END $$;
    """;
  private static final String PINEPODS_RESTORE_AFTER = "\nSET session_replication_role = DEFAULT;\n";

  private static Vertx vertx;
  private static TestServer server;
  private static String admin;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.startWithPinePodsData(vertx, 42));
    admin = result(server.adminToken());
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static JsonObject pinePodsRequest(String password) {
    return new JsonObject().put("database_pass", password).put("format", "pinepods");
  }

  @Test
  @DisplayName("PinePods' restore (its tables emptied, then psql) gives back every row but the sign-ins, and every sequence")
  void pinePodsRestoreTakesTheExport() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    HttpResponse<Void> response = result(server.downloadBackup(admin, pinePodsRequest(DB_PASSWORD), file));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Disposition")).isEqualTo("attachment; filename=\"server_backup.sql\"");

    DbCoordinates pinePods = TestPostgres.freshDatabase();
    Migrations.migrateAppSchema(pinePods, Migrations.APP_SCHEMA, MigrationVersion.LATEST);
    try (Connection c = Connections.open(pinePods)) {
      // A PinePods with data of its own, which the restore must replace entirely.
      PinePodsData.fill(c, 7);
    }
    Path restore = dir.resolve("pinepods-restore.sql");
    Files.writeString(restore, PINEPODS_RESTORE_BEFORE + Files.readString(file) + PINEPODS_RESTORE_AFTER);
    Psql.Result load = Psql.load(pinePods, restore);
    assertThat(load.exitCode()).as(load.output()).isZero();

    try (Connection source = Connections.open(server.db); Connection target = Connections.open(pinePods)) {
      Map<String, String> sourceSums = PinePodsData.tableChecksums(source, "public");
      Map<String, String> targetSums = PinePodsData.tableChecksums(target, "public");
      assertThat(sourceSums).hasSize(49);
      for (String table : SIGN_INS) {
        assertThat(sourceSums.get(table)).as("rows of %s in the source", table).doesNotStartWith("0:");
        assertThat(targetSums.get(table)).as("rows of %s after the restore", table).isEqualTo("0:0:0");
      }
      assertThat(withoutSignIns(targetSums)).isEqualTo(withoutSignIns(sourceSums));
      assertThat(PinePodsData.sequenceStates(target, "public")).isEqualTo(PinePodsData.sequenceStates(source, "public"));
    }
  }

  private static Map<String, String> withoutSignIns(Map<String, String> sums) {
    Map<String, String> rest = new TreeMap<>(sums);
    SIGN_INS.forEach(rest::remove);
    return rest;
  }

  @Test
  @DisplayName("the file is pg_dump's data-only script: its comments, no seal, no sign-ins, no podvault bookkeeping")
  void fileShape() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    result(server.downloadBackup(admin, pinePodsRequest(DB_PASSWORD), file));
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text).startsWith("--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 17.");
    assertThat(text).endsWith(");\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n");
    assertThat(text).contains("SELECT pg_catalog.set_config('search_path', '', false);\n",
      "\nSET SESSION AUTHORIZATION DEFAULT;\n\nALTER TABLE public.\"AISettings\" DISABLE TRIGGER ALL;\n",
      "COPY public.schema_migrations (", "\"timestamp\", started, \"position\", total) FROM stdin;\n",
      "SELECT pg_catalog.setval('public.\"Sessions_sessionid_seq\"', ");
    assertThat(text).doesNotContain("podvault_schema_history", "podvault trailer", "\\restrict", "public.\"Sessions\"",
      "public.\"GpodderSessions\"", "CREATE ", "podvault.");
    assertThat(text.indexOf("COPY public.\"Users\" ")).isLessThan(text.indexOf("COPY public.\"APIKeys\" "));
    assertThat(text.indexOf("COPY public.\"Podcasts\" ")).isLessThan(text.indexOf("COPY public.\"Episodes\" "));
    assertThat(text.split("SET SESSION AUTHORIZATION DEFAULT;", -1)).hasSize(2);
  }

  @Test
  @DisplayName("the job record shows the finished backup with every table but the two of sign-ins done")
  void jobRecord() {
    HttpResponse<Void> response = result(server.downloadBackup(admin, pinePodsRequest(DB_PASSWORD), dir.resolve("b.sql")));
    JsonObject job = result(server.get("/api/data/jobs/" + response.getHeader("X-Podvault-Job"), admin).send())
      .bodyAsJsonObject();
    assertThat(job.getString("state")).isEqualTo("succeeded");
    assertThat(job.getString("kind")).isEqualTo("backup");
    assertThat(job.getInteger("tables_done")).isEqualTo(47).isEqualTo(job.getInteger("tables_total"));
    assertThat(job.getLong("rows_done")).isEqualTo(job.getLong("rows_total")).isPositive();
  }

  @Test
  @DisplayName("the Settings page's plain form post with access_token and format=pinepods downloads the PinePods file")
  void formPost() {
    HttpResponse<Buffer> response = result(server.client.post("/api/data/backup_server")
      .sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("access_token", admin).add("database_pass", DB_PASSWORD).add("format", "pinepods")));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Disposition")).isEqualTo("attachment; filename=\"server_backup.sql\"");
    assertThat(response.bodyAsString()).startsWith("--\n-- PostgreSQL database dump\n--\n");
  }

  @Test
  @DisplayName("\"format\":\"podvault\" is the sealed backup, as when the field is left out")
  void podvaultByName() throws Exception {
    Path file = dir.resolve("server_backup.sql");
    HttpResponse<Void> response = result(server.downloadBackup(admin,
      new JsonObject().put("database_pass", DB_PASSWORD).put("format", "podvault"), file));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Files.readString(file)).startsWith(BackupFormat.FIRST_LINE + "\n").contains(BackupFormat.TRAILER_PREFIX);
  }

  @Test
  @DisplayName("an unknown format gets 400 naming the field and the formats there are, before the password is checked")
  void unknownFormat() {
    for (Object format : List.of("pg_dump", "PinePods", 3)) {
      HttpResponse<Buffer> response = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(admin)
        .sendJsonObject(new JsonObject().put("database_pass", "not-the-database-password").put("format", format)));
      assertThat(response.statusCode()).as("format %s", format).isEqualTo(400);
      assertThat(response.getHeader("Content-Disposition")).isNull();
      assertThat(TestServer.error(response)).as("format %s", format).contains("'format'");
    }
    HttpResponse<Buffer> form = result(server.client.post("/api/data/backup_server")
      .sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("access_token", admin).add("database_pass", DB_PASSWORD).add("format", "sql")));
    assertThat(form.statusCode()).isEqualTo(400);
    assertThat(TestServer.error(form)).contains("'format'", "\"podvault\", \"pinepods\"", "'sql'");
  }

  @Test
  @DisplayName("a wrong database password gets 403 and nothing of the PinePods file, by JSON and by form")
  void wrongPassword() {
    HttpResponse<Buffer> json = result(server.client.post("/api/data/backup_server").bearerTokenAuthentication(admin)
      .sendJsonObject(pinePodsRequest("not-the-database-password")));
    HttpResponse<Buffer> form = result(server.client.post("/api/data/backup_server")
      .sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("access_token", admin).add("database_pass", "not-the-database-password").add("format", "pinepods")));
    for (HttpResponse<Buffer> response : List.of(json, form)) {
      assertThat(response.statusCode()).isEqualTo(403);
      assertThat(response.getHeader("Content-Disposition")).isNull();
      assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("wrong_database_password");
      assertThat(response.bodyAsString()).doesNotContain("PostgreSQL database dump", "COPY ");
    }
  }

  @Test
  @DisplayName("the file is, statement for statement and row for row, what Debian's pg_dump 15 writes for PinePods")
  void sameAsPgDump() throws Exception {
    assumeTrue(DebianPostgres.installed(), "skipped: comparing with pg_dump needs Debian's PostgreSQL 15 in "
      + DebianPostgres.BIN + " (apt-get install postgresql-15, which .ci/run does)");
    // A Vert.x of its own: job requests go to whichever job verticle of the event bus takes them.
    Vertx own = Vertx.vertx();
    try (DebianPostgres cluster = DebianPostgres.plain()) {
      DbCoordinates db = cluster.admin(DebianPostgres.DATABASE);
      TestServer onDebian = result(TestServer.start(own, db, Map.of()));
      try {
        try (Connection c = Connections.open(db)) {
          PinePodsData.fill(c, 42);
        }
        String token = result(onDebian.adminToken());
        Path ours = dir.resolve("podvault.sql");
        assertThat(result(onDebian.downloadBackup(token, pinePodsRequest(DebianPostgres.PASSWORD), ours)).statusCode())
          .isEqualTo(200);
        // PinePods' own options; podvault's bookkeeping in the same database is no part of PinePods' data.
        Path theirs = cluster.pgDump(DebianPostgres.DATABASE, dir.resolve("pg_dump.sql"), "--data-only",
          "--disable-triggers", "--exclude-table-data=public.\"Sessions\"", "--exclude-table-data=public.\"GpodderSessions\"",
          "--schema=public", "--exclude-table=public.podvault_schema_history");
        assertThat(comparable(Files.readString(ours))).containsExactlyElementsOf(comparable(Files.readString(theirs)));
      } finally {
        result(onDebian.stop());
      }
    } finally {
      result(own.close());
    }
  }

  /** The file's lines without what may differ: the writer's name and pg_dump's {@code \restrict} lines. */
  private static List<String> comparable(String dump) {
    return dump.replaceAll("(?m)^\\\\(un)?restrict \\S+\n\n", "").replaceAll("(?m)^-- Dumped by .*$", "-- Dumped by")
      .lines().toList();
  }
}
