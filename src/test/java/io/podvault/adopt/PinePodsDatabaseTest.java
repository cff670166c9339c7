package io.podvault.adopt;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.auth.PasswordHasher;
import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.Sql;
import io.podvault.support.DebianPostgres;
import io.podvault.support.PinePodsData;
import io.podvault.support.Psql;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("podvault on a live PinePods database: adopted as it is, public never altered, backup and restore work")
class PinePodsDatabaseTest {

  private static final String DATABASE = "pinepods";
  /** PinePods' own role, which owns its tables; podvault connects as another one. */
  private static final String PINEPODS_ROLE = "pinepods";
  private static final String PINEPODS_PASSWORD = "pinepods-role-password";
  private static final String READER_ROLE = "pinepods_reader";
  private static final String PINEPODS_ADMIN = "pinepods_admin";
  private static final String PINEPODS_ADMIN_PASSWORD = "their-pinepods-password";

  private static DebianPostgres cluster;
  private static DbCoordinates podvaultDb;
  private static DbCoordinates pinepodsDb;

  @BeforeAll
  static void buildPinePodsDatabase() throws Exception {
    assumeTrue(DebianPostgres.installed(), "Debian's PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin): "
      + "apt-get install -y postgresql-15 to run the PinePods database test, whose pg_dump must match the server");
    cluster = DebianPostgres.plain();
    DbCoordinates admin = cluster.admin("postgres");
    TestPostgres.execute(admin, "CREATE ROLE " + PINEPODS_ROLE + " LOGIN PASSWORD " + Sql.literal(PINEPODS_PASSWORD));
    TestPostgres.execute(admin, "CREATE ROLE " + READER_ROLE);
    TestPostgres.execute(admin, "CREATE DATABASE " + DATABASE + " OWNER " + PINEPODS_ROLE);
    podvaultDb = cluster.admin(DATABASE);
    pinepodsDb = new DbCoordinates(podvaultDb.host(), podvaultDb.port(), DATABASE, PINEPODS_ROLE, PINEPODS_PASSWORD)
      .withSsl(SslMode.DISABLE, null);
    // PinePods' tables, made by PinePods' role and without podvault: the data model's SQL, loaded by psql.
    Psql.Result loaded = Psql.load(pinepodsDb, Path.of("src/main/resources/db/schema/V1__pinepods_schema.sql"));
    assertThat(loaded.exitCode()).as(loaded.output()).isZero();
    TestPostgres.execute(podvaultDb, "COMMENT ON SCHEMA public IS 'PinePods keeps its data here'");
    try (Connection c = Connections.open(pinepodsDb); Statement s = c.createStatement()) {
      s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + READER_ROLE);
      s.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + READER_ROLE);
      PinePodsData.fill(c, 7);
      s.execute("INSERT INTO \"Users\" (fullname, username, email, hashed_pw, isadmin) VALUES ('Their Admin', "
        + Sql.literal(PINEPODS_ADMIN) + ", 'admin@pinepods.example', "
        + Sql.literal(PasswordHasher.hash(PINEPODS_ADMIN_PASSWORD)) + ", true)");
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** pg_dump's schema of public, without the random key of its \restrict lines, which differs in every dump. */
  private static String schemaDump(Path dir, String name) throws Exception {
    return Files.readString(cluster.pgDump(DATABASE, dir.resolve(name), "--schema-only", "--schema=public"))
      .replaceAll("(?m)^\\\\(un)?restrict .*$", "");
  }

  private static Map<String, String> checksums() throws Exception {
    try (Connection c = Connections.open(podvaultDb)) {
      return PinePodsData.tableChecksums(c, "public");
    }
  }

  /** A session of PinePods itself: its own role, its own application name. */
  private static Connection pinepodsSession() throws Exception {
    Properties props = new Properties();
    props.setProperty("user", PINEPODS_ROLE);
    props.setProperty("password", PINEPODS_PASSWORD);
    props.setProperty("ApplicationName", "pinepods-api");
    return DriverManager.getConnection("jdbc:postgresql://" + pinepodsDb.host() + ":" + pinepodsDb.port() + "/" + DATABASE,
      props);
  }

  private static String signIn(TestServer server) {
    return result(server.login(PINEPODS_ADMIN, PINEPODS_ADMIN_PASSWORD));
  }

  private static JsonObject awaitJob(TestServer server, String jobId) throws InterruptedException {
    for (int attempt = 0; attempt < 3000; attempt++) {
      HttpResponse<Buffer> response = result(server.get("/api/data/jobs/" + jobId, signInWhenAvailable(server)).send());
      if (response.statusCode() == 200 && !"running".equals(response.bodyAsJsonObject().getString("state"))) {
        return response.bodyAsJsonObject();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("job " + jobId + " did not end");
  }

  /** A restore ends every session, and answers 503 for a moment while it swaps. */
  private static String signInWhenAvailable(TestServer server) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      HttpResponse<Buffer> response = result(server.client.post("/api/auth/login")
        .sendJsonObject(new JsonObject().put("username", PINEPODS_ADMIN).put("password", PINEPODS_ADMIN_PASSWORD)));
      if (response.statusCode() == 200 || attempt == 100) {
        return response.bodyAsJsonObject().getString("token");
      }
      Thread.sleep(100);
    }
  }

  @Test
  @DisplayName("podvault starts on it, its PinePods administrator signs in, and a backup and a restore leave public's "
    + "schema dump identical, the data equal, and PinePods' open session ended")
  void adoptBackupRestore(@TempDir Path dir) throws Exception {
    String before = schemaDump(dir, "before.sql");
    Map<String, String> data = checksums();
    Vertx vertx = Vertx.vertx();
    TestServer server = result(TestServer.start(vertx, podvaultDb, Map.of()));
    try {
      assertThat(schemaDump(dir, "started.sql")).as("starting on it changes nothing in public").isEqualTo(before);
      try (Connection c = Connections.open(podvaultDb); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT version, type FROM podvault." + Migrations.historyTable("public"))) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).as("adopted at the newest version").isEqualTo(Migrations.latestVersion(podvaultDb));
        assertThat(rs.getString(2)).isEqualTo("BASELINE");
      }
      String token = signIn(server);
      Path backup = dir.resolve("server_backup.sql");
      assertThat(result(server.downloadBackup(token, DebianPostgres.PASSWORD, backup)).statusCode()).isEqualTo(200);

      try (Connection pinepods = pinepodsSession()) {
        HttpResponse<Buffer> upload = result(server.uploadRestore(token, backup, DebianPostgres.PASSWORD));
        assertThat(upload.statusCode()).as(upload.bodyAsString()).isEqualTo(202);
        JsonObject job = awaitJob(server, upload.bodyAsJsonObject().getString("job_id"));
        assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
        assertThat(pinepods.isValid(5)).as("PinePods' session was ended by the swap, so it reconnects").isFalse();
      }
      assertThat(schemaDump(dir, "restored.sql")).as("the restore keeps public's schema, owners and grants")
        .isEqualTo(before);
      assertThat(checksums()).isEqualTo(data);
      assertThat(signIn(server)).as("the PinePods administrator signs in on the restored data").isNotBlank();
    } finally {
      result(server.stop());
      result(vertx.close());
    }
  }
}
