package io.podvault.restore;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import io.podvault.support.DebianPostgres;
import io.podvault.support.PinePodsData;
import io.podvault.support.PinePodsDumps;
import io.podvault.support.Psql;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PinePods' own backup files, made with Debian's pg_dump and PinePods' options (and, for the pg_dump versions that
 * cannot be installed here, synthetic copies with those versions' known differences), restored through the API.
 * Each must give what stock psql loads from the same file, and PinePods' users must sign in afterwards; every
 * forbidden statement and every kind of damage is refused naming its line, with the data unchanged.
 */
class PinePodsRestoreTest {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PinePodsRestoreTest.class);

  private static final String DB_PASSWORD = TestPostgres.PASSWORD;
  private static Vertx vertx;
  private static TestServer server;
  private static DebianPostgres cluster;
  /** A PinePods database on which podvault also runs, and one that holds only PinePods' tables. */
  private static PinePodsDumps shared;
  private static PinePodsDumps plain;
  private static Path files;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    assumeTrue(DebianPostgres.installed(), "skipped: PinePods' backup files are made with Debian's pg_dump 15, which "
      + "needs the PostgreSQL 15 binaries in " + DebianPostgres.BIN + " (apt-get install postgresql-15, which .ci/run does)");
    files = dir;
    cluster = DebianPostgres.plain();
    List<String[]> admin = List.<String[]>of(new String[] {TestServer.ADMIN, TestServer.ADMIN_PASSWORD, "true"});
    shared = PinePodsDumps.create(cluster, "pinepods_shared", true, 11, admin);
    plain = PinePodsDumps.create(cluster, "pinepods_plain", false, 12, admin);
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx, TestPostgres.freshDatabase(), Map.of("max_upload_bytes", 64L * 1024 * 1024)));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      result(server.stop());
      result(vertx.close());
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("a PinePods backup file restores to exactly what psql loads from it, and PinePods' users sign in")
  @CsvSource(delimiter = '|', value = {
    "pg_dump 15 data only (PinePods' Settings page) of a database podvault also runs on | shared | data | 15",
    "pg_dump 15 schema and data (PinePods' backup folder) of a database podvault also runs on | shared | clean | 15",
    "pg_dump 15 data only of PinePods' tables alone | plain | data | 15",
    "pg_dump 15 schema and data of PinePods' tables alone | plain | clean | 15",
    "pg_dump 13 data only (synthetic) | plain | data | 13",
    "pg_dump 14 schema and data (synthetic) | plain | clean | 14",
    "pg_dump 16 data only (synthetic) | shared | data | 16",
    "pg_dump 17 data only (synthetic) | plain | data | 17",
    "pg_dump 17 schema and data (synthetic) | shared | clean | 17",
  })
  void restoresLikePsql(String label, String database, String variant, int major) throws Exception {
    Path file = file(database.equals("shared") ? shared : plain, variant, major);
    Map<String, String> expected = loadedByPsql(file, variant.equals("data"));

    assertThat(restore(file).getString("state")).isEqualTo("succeeded");

    assertThat(PinePodsData.checksums(server.db)).isEqualTo(expected);
    HttpResponse<Buffer> signIn = result(server.client.post("/api/auth/login").sendJsonObject(new JsonObject()
      .put("username", PinePodsDumps.PINEPODS_ADMIN).put("password", PinePodsDumps.PINEPODS_ADMIN_PASSWORD)));
    assertThat(signIn.statusCode()).as(signIn.bodyAsString()).isEqualTo(200);
    assertThat(signIn.bodyAsJsonObject().getJsonObject("user").getBoolean("is_admin")).isTrue();
  }

  @Test
  @DisplayName("podvault restores its own export in PinePods' format: all but the sign-ins it leaves out come back")
  void restoresItsOwnPinePodsExport() throws Exception {
    try (Connection c = Connections.open(server.db)) {
      c.createStatement().execute("UPDATE \"Episodes\" SET episodetitle = episodetitle || ' (before the export)'");
    }
    Map<String, String> exported = PinePodsData.checksums(server.db);
    Path file = files.resolve("exported-for-pinepods.sql");
    HttpResponse<Void> download = result(server.client.post("/api/data/backup_server")
      .bearerTokenAuthentication(result(server.adminToken()))
      .as(io.vertx.ext.web.codec.BodyCodec.pipe(vertx.fileSystem().openBlocking(file.toString(),
        new io.vertx.core.file.OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true))))
      .sendJsonObject(new JsonObject().put("database_pass", DB_PASSWORD).put("format", "pinepods")));
    assertThat(download.statusCode()).isEqualTo(200);
    try (Connection c = Connections.open(server.db)) {
      c.createStatement().execute("UPDATE \"Episodes\" SET episodetitle = 'changed after the export'");
    }

    assertThat(restore(file).getString("state")).isEqualTo("succeeded");
    Map<String, String> restored = PinePodsData.checksums(server.db);
    for (String signIns : List.of("Sessions", "GpodderSessions")) {
      assertThat(restored.remove(signIns)).startsWith("0:");
      exported.remove(signIns);
    }
    assertThat(restored).isEqualTo(exported);
  }

  @Test
  @DisplayName("the job of a PinePods file, plain or gzip, counts the file's bytes, and the whole file is checked by them")
  void progressGoesByBytes() throws Exception {
    Path plainFile = file(plain, "data", 15);
    Path gzipFile = files.resolve("data-15.sql.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzipFile))) {
      Files.copy(plainFile, out);
    }
    for (Path file : List.of(plainFile, gzipFile)) {
      JsonObject job = restore(file);
      assertThat(job.getString("state")).as(file.toString()).isEqualTo("succeeded");
      assertThat(job.getLong("bytes_done")).as(file.toString()).isEqualTo(Files.size(file));
      assertThat(job.getLong("bytes_total")).as(file.toString()).isEqualTo(Files.size(file));
    }
  }

  @Test
  @DisplayName("a file from an older PinePods, whose COPY lacks a column, imports and the column takes its default")
  void olderFileWithoutAColumnImports() throws Exception {
    Path file = withoutColumn(file(plain, "data", 15), "Users", "language");
    assertThat(restore(file).getString("state")).isEqualTo("succeeded");
    try (Connection c = Connections.open(server.db);
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*), count(*) FILTER (WHERE language = 'en') FROM \"Users\"")) {
      rs.next();
      assertThat(rs.getLong(1)).isGreaterThan(2);
      assertThat(rs.getLong(2)).isEqualTo(rs.getLong(1));
    }
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("a statement pg_dump does not write for PinePods' tables is refused naming its line, and nothing changes")
  @CsvSource(delimiter = '|', value = {
    "a DROP without IF EXISTS | DROP TABLE public.\"Users\";",
    "a CREATE FUNCTION | CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';",
    "a second statement on a line | SET lock_timeout = 0; DROP TABLE IF EXISTS public.\"Users\";",
    "a COPY into an unknown table | COPY public.\"Unknown\" (id) FROM stdin;",
    "a COPY of an unknown column | COPY public.\"AISettings\" (aisettingsid, futurecolumn) FROM stdin;",
    "a psql command | \\! touch /tmp/podvault-must-not-exist",
    "a setting pg_dump does not write | SET session_replication_role = replica;",
    "a DROP of another schema's table | DROP TABLE IF EXISTS other.\"Users\";",
    "a GRANT on a table it does not know | GRANT ALL ON TABLE public.\"Unknown\" TO someone;",
  })
  void forbiddenStatementsAreRefused(String label, String statement) throws Exception {
    Path file = file(plain, "data", 15);
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    int at = lines.indexOf("SET row_security = off;") + 1;
    lines.add(at, statement);
    if (statement.startsWith("COPY")) {
      lines.add(at + 1, "1\t2");
      lines.add(at + 2, "\\.");
    }
    String error = refused(Files.write(files.resolve("forbidden.sql"), lines, StandardCharsets.UTF_8), DB_PASSWORD, 400);
    assertThat(error).contains("line " + (at + 1));
    assertThat(Path.of("/tmp/podvault-must-not-exist")).doesNotExist();
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("structural damage is refused naming its line, and nothing changes")
  @CsvSource(delimiter = '|', value = {
    "a file cut short inside a table's rows | cut | cut short",
    "a COPY block without its end | unended | cut short",
    "a row with a field too many | extra field | fields where its COPY names",
    "a bad escape | escape | backslash escape",
    "a lone backslash at the end of a row | trailing backslash | backslash escape",
    "bad UTF-8 | utf8 | not valid UTF-8",
    "a file without pg_dump's last line | no end | cut short",
  })
  void damageIsRefused(String label, String damage, String message) throws Exception {
    Path file = file(plain, "data", 15);
    byte[] bytes = Files.readAllBytes(file);
    String text = new String(bytes, StandardCharsets.UTF_8);
    int rowAt = text.indexOf('\n', text.indexOf("COPY public.\"Episodes\"")) + 1;
    Path damaged = files.resolve("damaged.sql");
    switch (damage) {
      case "cut" -> Files.write(damaged, java.util.Arrays.copyOf(bytes, rowAt + 40));
      case "unended" -> Files.writeString(damaged, text.substring(0, text.indexOf("\n\\.\n", rowAt) + 1));
      case "extra field" -> Files.writeString(damaged, text.substring(0, rowAt) + "1\t" + text.substring(rowAt));
      case "escape" -> Files.writeString(damaged, text.substring(0, rowAt + 3) + "\\q" + text.substring(rowAt + 3));
      case "trailing backslash" -> {
        int end = text.indexOf('\n', rowAt);
        Files.writeString(damaged, text.substring(0, end) + "\\" + text.substring(end));
      }
      case "utf8" -> {
        int at = text.substring(0, rowAt).getBytes(StandardCharsets.UTF_8).length + 1;
        byte[] copy = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, copy, 0, at);
        copy[at] = (byte) 0xFF;
        System.arraycopy(bytes, at, copy, at + 1, bytes.length - at);
        Files.write(damaged, copy);
      }
      default -> Files.writeString(damaged, text.substring(0, text.indexOf("-- PostgreSQL database dump complete")));
    }
    assertThat(refused(damaged, DB_PASSWORD, 400)).contains(message);
  }

  @Test
  @DisplayName("a PinePods file needs this server's database password, even with the server's password in the other field")
  void needsThisServersPassword() throws Exception {
    Path file = file(plain, "data", 15);
    assertThat(refused(file, "not-the-password", 403)).contains("server_database_pass");
    Map<String, String> before = PinePodsData.checksums(server.db);
    HttpResponse<Buffer> response = result(server.client.post("/api/data/restore_server")
      .bearerTokenAuthentication(result(server.adminToken()))
      .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
        .attribute("database_pass", "another-servers-password")
        .attribute("server_database_pass", DB_PASSWORD)
        .binaryFileUpload("backup_file", "server_backup.sql", file.toString(), "application/sql")));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(403);
    assertThat(TestServer.error(response)).contains("this server's database password");
    assertThat(PinePodsData.checksums(server.db)).isEqualTo(before);
  }

  @Test
  @DisplayName("a file that is neither podvault's nor pg_dump's is refused at once")
  void otherFilesAreRefused() throws Exception {
    Path other = Files.writeString(files.resolve("other.sql"), "--\nDROP TABLE \"Users\";\n");
    assertThat(refused(other, DB_PASSWORD, 400)).contains("not like pg_dump's");
    Path script = Files.writeString(files.resolve("script.sql"), "DELETE FROM \"Users\";\n");
    assertThat(refused(script, DB_PASSWORD, 400)).contains("neither like podvault's");
  }

  @Test
  @DisplayName("mutants of a PinePods file are refused with a clear message or accepted, and an accepted one restores "
    + "exactly when psql loads it, to what psql loads")
  void mutants() throws Exception {
    byte[] original = Files.readAllBytes(file(plain, "data", 15));
    List<String> injected = List.of("DROP TABLE IF EXISTS public.\"Users\" CASCADE;",
      "COPY public.\"Users\" (userid) FROM PROGRAM 'touch /tmp/podvault-pwned';", "\\! touch /tmp/podvault-pwned",
      "SELECT pg_sleep(3600);", "ALTER ROLE postgres PASSWORD 'owned';");
    java.util.Random random = new java.util.Random(20_261_128L);
    BackupReader reader = new BackupReader(server.db, BackupValidator.Progress.NONE, CheckedRows.NONE);
    List<byte[]> accepted = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < MUTANTS; i++) {
      int kind = random.nextInt(6);
      byte[] mutant = mutate(original, random, injected, kind);
      try {
        reader.validate(new java.io.ByteArrayInputStream(mutant), java.util.concurrent.CompletableFuture.completedFuture(DB_PASSWORD));
        // Without a seal, a changed value inside a field, or a row dropped, doubled or moved, may pass.
        assertThat(kind).as("an injected statement or a cut is always refused").isLessThan(4);
        if (!java.util.Arrays.equals(mutant, original)) {
          accepted.add(mutant);
        }
      } catch (InvalidBackupException e) {
        refused++;
        assertThat(e.getMessage()).doesNotContain("Exception").matches("(?s)(line \\d+ of the file|the file|this is not).*");
      }
    }
    LOG.info("Fuzzed {} mutants of a PinePods file: {} refused, {} accepted", MUTANTS, refused, accepted.size());
    assertThat(refused).as("mutants refused").isGreaterThan(MUTANTS / 3);
    assertThat(Path.of("/tmp/podvault-pwned")).doesNotExist();
    for (byte[] mutant : accepted.subList(0, Math.min(3, accepted.size()))) {
      Path file = Files.write(files.resolve("accepted-mutant.sql"), mutant);
      DbCoordinates reference = TestPostgres.freshDatabase();
      Migrations.migrate(reference, SchemaCheck.adoption(reference));
      boolean psqlLoads = Psql.load(reference, file).exitCode() == 0;
      Map<String, String> before = PinePodsData.checksums(server.db);
      assertThat(restore(file).getString("state")).isEqualTo(psqlLoads ? "succeeded" : "failed");
      assertThat(PinePodsData.checksums(server.db)).isEqualTo(psqlLoads ? PinePodsData.checksums(reference) : before);
    }
  }

  @Test
  @DisplayName("a long statement is read in linear time and without deep recursion, and one too long is refused")
  void longStatements() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(file(plain, "clean", 15), StandardCharsets.UTF_8));
    int at = lines.indexOf("SET row_security = off;") + 1;
    lines.add(at, "COMMENT ON COLUMN public.\"Users\".language IS '" + "''".repeat(100_000) + "';");
    BackupReader reader = new BackupReader(server.db, BackupValidator.Progress.NONE, CheckedRows.NONE);
    Path quoted = Files.write(files.resolve("quoted.sql"), lines, StandardCharsets.UTF_8);
    try (var in = Files.newInputStream(quoted)) {
      assertThat(reader.validate(in, java.util.concurrent.CompletableFuture.completedFuture(DB_PASSWORD)).tables())
        .containsKey("Users");
    }
    lines.set(at, "COMMENT ON COLUMN public.\"Users\".language IS '");
    for (int i = 0; i < 400_000; i++) {
      lines.add(at + 1, "x");
    }
    Path endless = Files.write(files.resolve("endless.sql"), lines, StandardCharsets.UTF_8);
    try (var in = Files.newInputStream(endless)) {
      assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> reader.validate(in,
        java.util.concurrent.CompletableFuture.completedFuture(DB_PASSWORD))))
        .isInstanceOf(InvalidBackupException.class).hasMessageContaining("line " + (at + 1));
    }
  }

  private static final int MUTANTS = Integer.getInteger("podvault.fuzz.mutants", 300);

  /**
   * One random change of a kind: 0 a flipped byte, 1 a line dropped, 2 doubled, 3 swapped with the next, 4 a statement
   * injected, 5 a cut.
   */
  private static byte[] mutate(byte[] original, java.util.Random random, List<String> injected, int kind) {
    String text = new String(original, StandardCharsets.ISO_8859_1);
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    int at = random.nextInt(lines.size() - 1);
    switch (kind) {
      case 0 -> {
        byte[] copy = original.clone();
        copy[random.nextInt(copy.length)] ^= (byte) (1 + random.nextInt(255));
        return copy;
      }
      case 1 -> lines.remove(at);
      case 2 -> lines.add(at, lines.get(at));
      case 3 -> lines.add(at + 1, lines.remove(at));
      case 4 -> lines.add(at, injected.get(random.nextInt(injected.size())));
      default -> {
        return java.util.Arrays.copyOf(original, random.nextInt(original.length));
      }
    }
    return String.join("\n", lines).getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The file of a variant: Debian's own pg_dump 15 output, or a synthetic copy for another version. */
  private static Path file(PinePodsDumps database, String variant, int major) throws Exception {
    String name = database.db().database() + "-" + variant;
    Path dumped = files.resolve(name + "-15.sql");
    if (!Files.exists(dumped)) {
      database.dump(dumped, variant.equals("data") ? PinePodsDumps.DATA_ONLY : PinePodsDumps.CLEAN);
    }
    return major == 15 ? dumped : PinePodsDumps.asIfFrom(major, dumped, files.resolve(name + "-" + major + ".sql"));
  }

  /**
   * What stock psql makes of the file: a data-only file goes into a database with PinePods' schema whose tables
   * are empty (as PinePods restores it; podvault's tables too, which a file of a shared database fills), a full
   * one into an empty database. The dumped tables' owner must exist.
   */
  private static Map<String, String> loadedByPsql(Path file, boolean dataOnly) throws Exception {
    DbCoordinates target = TestPostgres.freshDatabase();
    TestPostgres.execute(target, "DO $$ BEGIN CREATE ROLE " + DebianPostgres.SUPERUSER + "; "
      + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    if (dataOnly) {
      Migrations.migrate(target, SchemaCheck.adoption(target));
      TestPostgres.execute(target, "DO $$ DECLARE t text; BEGIN FOR t IN SELECT format('%I.%I', schemaname, tablename) "
        + "FROM pg_tables WHERE schemaname IN ('public', '" + Migrations.INTERNAL_SCHEMA + "') LOOP "
        + "EXECUTE 'TRUNCATE ' || t || ' CASCADE'; END LOOP; END $$");
    }
    Psql.Result loaded = Psql.load(target, file);
    assertThat(loaded.exitCode()).as(loaded.output()).isZero();
    return PinePodsData.checksums(target);
  }

  /** Uploads a PinePods file that must be accepted (202, format pinepods) and returns its job's final record. */
  private static JsonObject restore(Path file) {
    // One sign-in, before the upload: a sign-in while the restore runs is refused if its swap comes meanwhile.
    String admin = result(server.adminToken());
    HttpResponse<Buffer> response = result(server.uploadRestore(admin, file, DB_PASSWORD));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    assertThat(response.bodyAsJsonObject().getString("format")).isEqualTo("pinepods");
    return server.awaitJob(admin, response.bodyAsJsonObject().getString("job_id"));
  }

  /** Uploads a file that must be refused, proves the data did not change, and returns the message. */
  private static String refused(Path file, String password, int status) throws Exception {
    Map<String, String> before = PinePodsData.checksums(server.db);
    HttpResponse<Buffer> response = result(server.uploadRestore(result(server.adminToken()), file, password));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(PinePodsData.checksums(server.db)).isEqualTo(before);
    return TestServer.error(response);
  }

  /** A copy of the file whose COPY of {@code table} leaves {@code column} out, as an older PinePods would. */
  private static Path withoutColumn(Path file, String table, String column) throws Exception {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    int field = -1;
    for (String line : lines) {
      if (line.startsWith("COPY public.\"" + table + "\" (")) {
        List<String> columns = List.of(line.substring(line.indexOf('(') + 1, line.indexOf(')')).split(", "));
        field = columns.indexOf(column);
        List<String> kept = new ArrayList<>(columns);
        kept.remove(field);
        line = line.substring(0, line.indexOf('(') + 1) + String.join(", ", kept) + line.substring(line.indexOf(')'));
      } else if (field >= 0 && line.equals("\\.")) {
        field = -1;
      } else if (field >= 0) {
        List<String> values = new ArrayList<>(List.of(line.split("\t", -1)));
        values.remove(field);
        line = String.join("\t", values);
      }
      out.add(line);
    }
    return Files.write(files.resolve("older.sql"), out, StandardCharsets.UTF_8);
  }
}
