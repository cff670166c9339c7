package io.podvault.folder;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.ConfigKeys;
import io.podvault.db.Connections;
import io.podvault.db.JobLock;
import io.podvault.restore.BackupValidator;
import io.podvault.restore.LoadPlan;
import io.podvault.support.PinePodsData;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The backup folder: manual_backup_to_directory, list_backup_files, delete_backup_file")
class BackupFolderApiTest {

  private static final String PG_DUMP_FILE = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n\n"
    + "--\n-- PostgreSQL database dump complete\n--\n\n";

  private static Vertx vertx;
  private static TestServer server;
  private static String admin;
  private static Path folder;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    folder = TestServer.tempDir("podvault-test-backups").resolve("backups");
    server = result(TestServer.startWithPinePodsData(vertx, 42, Map.of(ConfigKeys.BACKUP_DIR, folder.toString())));
    admin = result(server.adminToken());
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  @Test
  @DisplayName("a backup into the folder is a whole, sealed gzip file; the list shows its rows and schema version")
  void backupIntoTheFolder() throws Exception {
    HttpResponse<Buffer> started = result(post("manual_backup_to_directory", new JsonObject()));
    assertThat(started.statusCode()).as(started.bodyAsString()).isEqualTo(202);
    String jobId = started.bodyAsJsonObject().getString("job_id");
    assertThat(started.bodyAsJsonObject().getString("task_id")).isEqualTo(jobId);
    assertThat(server.awaitJob(admin, jobId).getString("state")).isEqualTo("succeeded");

    JsonObject entry = listed().stream().map(JsonObject.class::cast)
      .filter(e -> e.getString("filename").matches("podvault-\\d{8}T\\d{6}Z(-\\d+)?\\.sql\\.gz")).findFirst().orElseThrow();
    Path file = folder.resolve(entry.getString("filename"));
    assertThat(entry.getString("format")).isEqualTo("podvault");
    assertThat(entry.getBoolean("complete")).isTrue();
    assertThat(entry.getLong("size")).isEqualTo(Files.size(file));
    assertThat(entry.getString("schema_version")).isNotBlank();
    assertThat(entry.getLong("rows")).isEqualTo(rowsInPublic());
    assertThat(Instant.parse(entry.getString("created_at"))).isBefore(Instant.now());
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".partial"));
    }

    Path plain = dir.resolve("unpacked.sql");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      Files.copy(in, plain);
    }
    // Sealed with the server's own database password, as a download sealed with it would be.
    LoadPlan plan = new BackupValidator(server.db, BackupValidator.Progress.NONE).validate(plain, TestPostgres.PASSWORD);
    assertThat(plan.schemaVersion()).isEqualTo(entry.getString("schema_version"));
  }

  @Test
  @DisplayName("restore_backup_file restores a listed file, gzip or plain, like an upload: the data comes back as it was")
  void restoreListedFiles() throws Exception {
    String gz = backupNow();
    Map<String, String> original;
    try (Connection c = Connections.open(server.db)) {
      original = PinePodsData.tableChecksums(c, "public");
    }
    Path plain = folder.resolve("unpacked-copy.sql");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(folder.resolve(gz)))) {
      Files.copy(in, plain);
    }
    for (String name : List.of(gz, "unpacked-copy.sql")) {
      TestPostgres.execute(server.db, "DELETE FROM public.\"UserEpisodeHistory\"");
      HttpResponse<Buffer> started = result(server.restoreBackupFile(admin, name, TestPostgres.PASSWORD));
      assertThat(started.statusCode()).as(started.bodyAsString()).isEqualTo(202);
      JsonObject answer = started.bodyAsJsonObject();
      assertThat(answer.getString("task_id")).isEqualTo(answer.getString("job_id"));
      assertThat(answer.getString("format")).isEqualTo("podvault");
      assertThat(server.awaitJob(admin, answer.getString("job_id")).getString("state")).isEqualTo("succeeded");
      admin = result(server.adminToken());
      try (Connection c = Connections.open(server.db)) {
        assertThat(PinePodsData.tableChecksums(c, "public")).as(name).isEqualTo(original);
      }
    }
  }

  @Test
  @DisplayName("restore_backup_file refuses a wrong or missing password, a bad name and a damaged gzip file, and changes nothing")
  void restoreRefusals() throws Exception {
    String gz = backupNow();
    byte[] whole = Files.readAllBytes(folder.resolve(gz));
    Files.write(folder.resolve("cut-short.sql.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
    Map<String, String> before;
    try (Connection c = Connections.open(server.db)) {
      before = PinePodsData.tableChecksums(c, "public");
    }
    record Refusal(JsonObject request, int status, String says) {
    }
    List<Refusal> refusals = List.of(
      new Refusal(new JsonObject().put("backup_filename", gz), 400, "database_pass"),
      new Refusal(new JsonObject().put("backup_filename", gz).put("database_pass", "not-the-password"), 403,
        "server_database_pass"),
      new Refusal(new JsonObject().put("backup_filename", "../" + gz).put("database_pass", TestPostgres.PASSWORD), 400,
        "not the name of a file"),
      new Refusal(new JsonObject().put("backup_filename", "missing.sql.gz").put("database_pass", TestPostgres.PASSWORD), 404,
        "missing.sql.gz"),
      new Refusal(new JsonObject().put("backup_filename", "cut-short.sql.gz").put("database_pass", TestPostgres.PASSWORD), 400,
        "incomplete gzip file"));
    for (Refusal refusal : refusals) {
      HttpResponse<Buffer> response = result(post("restore_backup_file", refusal.request()));
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(refusal.status());
      assertThat(TestServer.error(response)).contains(refusal.says());
    }
    try (Connection c = Connections.open(server.db)) {
      assertThat(PinePodsData.tableChecksums(c, "public")).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("download_backup_file sends a listed file as it is stored, to JSON and to a form post, with the password only")
  void downloadListedFile() throws Exception {
    String gz = backupNow();
    byte[] stored = Files.readAllBytes(folder.resolve(gz));
    HttpResponse<Buffer> json = result(post("download_backup_file", new JsonObject().put("backup_filename", gz)
      .put("database_pass", TestPostgres.PASSWORD)));
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(json.getHeader("Content-Disposition")).startsWith("attachment; filename=\"" + gz + "\"");
    assertThat(json.getHeader("Content-Type")).isEqualTo("application/gzip");
    assertThat(json.body().getBytes()).isEqualTo(stored);

    HttpResponse<Buffer> form = result(server.client.post("/api/data/download_backup_file")
      .sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("backup_filename", gz)
        .add("database_pass", TestPostgres.PASSWORD).add("access_token", admin)));
    assertThat(form.statusCode()).isEqualTo(200);
    assertThat(form.body().getBytes()).isEqualTo(stored);

    HttpResponse<Buffer> wrong = result(post("download_backup_file", new JsonObject().put("backup_filename", gz)
      .put("database_pass", "not-the-password")));
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.bodyAsString()).doesNotContain("podvault server backup");
    HttpResponse<Buffer> escape = result(post("download_backup_file", new JsonObject().put("backup_filename", "../" + gz)
      .put("database_pass", TestPostgres.PASSWORD)));
    assertThat(escape.statusCode()).isEqualTo(400);
  }

  @Test
  @DisplayName("PinePods' own files in the folder are listed, other files are not, and a listed file can be deleted")
  void pinePodsFilesListedAndDeleted() throws Exception {
    Files.writeString(folder.resolve("pinepods_backup_20261101.sql"), PG_DUMP_FILE);
    Files.writeString(folder.resolve("cut_short.sql"), PG_DUMP_FILE.substring(0, 60));
    Files.writeString(folder.resolve("notes.sql"), "some notes, not a backup\n");
    Files.writeString(folder.resolve("readme.txt"), "-- PostgreSQL database dump\n");
    try (OutputStream gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(folder.resolve("pinepods_packed.sql.gz")))) {
      gz.write(PG_DUMP_FILE.getBytes(StandardCharsets.UTF_8));
    }

    List<String> names = listed().stream().map(e -> ((JsonObject) e).getString("filename")).toList();
    assertThat(names).contains("pinepods_backup_20261101.sql", "cut_short.sql").doesNotContain("notes.sql", "readme.txt");
    JsonObject pinepods = entry("pinepods_backup_20261101.sql");
    assertThat(pinepods.getString("format")).isEqualTo("pinepods");
    assertThat(pinepods.getBoolean("complete")).isTrue();
    assertThat(entry("cut_short.sql").getBoolean("complete")).isFalse();
    JsonObject packed = entry("pinepods_packed.sql.gz");
    assertThat(packed.getString("format")).as("recognised inside the gzip").isEqualTo("pinepods");
    assertThat(packed.getValue("complete")).as("a gzip file's end is not read").isNull();

    HttpResponse<Buffer> deleted = result(post("delete_backup_file", new JsonObject().put("backup_filename", "cut_short.sql")));
    assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
    assertThat(deleted.bodyAsJsonObject().getString("filename")).isEqualTo("cut_short.sql");
    assertThat(folder.resolve("cut_short.sql")).doesNotExist();
    HttpResponse<Buffer> again = result(post("delete_backup_file", new JsonObject().put("backup_filename", "cut_short.sql")));
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(TestServer.error(again)).contains("cut_short.sql");
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape.sql", "/etc/passwd", "sub/dir.sql", "..", ".hidden.sql", "notes.txt", " ",
    "a\\b.sql", "..%2Fescape.sql"})
  @DisplayName("a name with a path, a hidden one or one that is not a backup's is refused, and nothing is deleted")
  void namesOutsideTheFolderRefused(String name) throws Exception {
    Path outside = folder.getParent().resolve("escape.sql");
    Files.writeString(outside, PG_DUMP_FILE);
    HttpResponse<Buffer> response = result(post("delete_backup_file", new JsonObject().put("backup_filename", name)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    assertThat(outside).exists();
  }

  @Test
  @DisplayName("a link in the folder to a file outside it is neither listed nor deleted")
  void linksNotFollowed() throws Exception {
    Path outside = folder.getParent().resolve("target.sql");
    Files.writeString(outside, PG_DUMP_FILE);
    Files.createSymbolicLink(folder.resolve("link.sql"), outside);
    assertThat(listed().stream().map(e -> ((JsonObject) e).getString("filename"))).doesNotContain("link.sql");
    HttpResponse<Buffer> response = result(post("delete_backup_file", new JsonObject().put("backup_filename", "link.sql")));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(outside).exists();
  }

  @Test
  @DisplayName("a backup refused because a job runs answers 409 and leaves no file behind, not even a hidden part")
  void refusedBackupLeavesNothing() throws Exception {
    List<Path> before = filesInFolder();
    try (Connection other = Connections.open(server.db)) {
      assertThat(JobLock.tryAcquire(other)).isTrue();
      HttpResponse<Buffer> response = result(post("manual_backup_to_directory", new JsonObject()));
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(409);
    }
    assertThat(filesInFolder()).isEqualTo(before);
  }

  @Test
  @DisplayName("a file abandoned half-way never carries a backup's name")
  void abandonedWriteLeavesNothing() throws Exception {
    Path own = dir.resolve("folder");
    BackupFolder backups = new BackupFolder(own);
    backups.prepare();
    BackupFolder.Writing writing = backups.begin(Instant.parse("2026-11-28T02:00:00Z"), true);
    assertThat(writing.name()).isEqualTo("podvault-20261128T020000Z.sql.gz");
    try (OutputStream out = writing.out()) {
      out.write("-- podvault server backup\n".getBytes(StandardCharsets.UTF_8));
      assertThat(backups.list()).isEmpty();
    } finally {
      writing.abandon();
    }
    try (Stream<Path> files = Files.list(own)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  @DisplayName("only administrators reach the folder")
  void adminsOnly() {
    String user = result(server.userToken(admin, "listener", "listener-password-1", false));
    HttpResponse<Buffer> response = result(server.client.post("/api/data/list_backup_files").bearerTokenAuthentication(user)
      .sendJsonObject(new JsonObject()));
    assertThat(response.statusCode()).isEqualTo(403);
  }

  /** Runs a backup into the folder and returns its file's name. */
  private static String backupNow() {
    JsonObject job = server.awaitJob(admin, result(server.startFolderBackup(admin)));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
    return listed().stream().map(e -> ((JsonObject) e).getString("filename")).filter(n -> n.startsWith("podvault-"))
      .findFirst().orElseThrow();
  }

  private static io.vertx.core.Future<HttpResponse<Buffer>> post(String endpoint, JsonObject body) {
    return server.client.post("/api/data/" + endpoint).bearerTokenAuthentication(admin).sendJsonObject(body);
  }

  private static JsonArray listed() {
    return result(server.backupFiles(admin));
  }

  private static JsonObject entry(String name) {
    return listed().stream().map(JsonObject.class::cast).filter(e -> e.getString("filename").equals(name))
      .findFirst().orElseThrow();
  }

  private static List<Path> filesInFolder() throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.sorted().toList();
    }
  }

  private static long rowsInPublic() throws Exception {
    List<String> tables = new ArrayList<>();
    long rows = 0;
    try (Connection c = Connections.open(server.db); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT format('%I', tablename) FROM pg_tables WHERE schemaname = 'public'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + table)) {
          rs.next();
          rows += rs.getLong(1);
        }
      }
    }
    return rows;
  }
}
