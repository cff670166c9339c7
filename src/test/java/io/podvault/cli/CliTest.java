package io.podvault.cli;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.EmbeddedDatabase;
import io.podvault.db.JobLock;
import io.podvault.support.ChildServer;
import io.podvault.support.ChildServer.CommandResult;
import io.podvault.support.PinePodsData;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The command line: backup, verify, restore and list, beside a running server and without one")
class CliTest {

  private static Vertx vertx;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    result(vertx.close());
  }

  private static CommandResult run(Path data, String... args) throws Exception {
    return ChildServer.command(data, Map.of(), args);
  }

  @Test
  @DisplayName("with the embedded database of a running server: backup, verify (damage caught), restore that signs the "
    + "server's sockets out, the job lock, list; then without the server")
  void roundTrip() throws Exception {
    Path data = dir.resolve("data");
    ChildServer server = ChildServer.start(vertx, data, Map.of());
    Path backup = dir.resolve("round-trip.sql");
    String password;
    Map<String, String> atBackup;
    DbCoordinates db;
    try {
      db = EmbeddedDatabase.ofRunningServer(data, null);
      password = db.password();
      try (Connection c = Connections.open(db)) {
        PinePodsData.fill(c, 11);
      }
      atBackup = PinePodsData.checksums(db);

      CommandResult made = run(data, "backup", "--out", backup.toString());
      assertThat(made.exitCode()).as(made.err()).isZero();
      assertThat(made.out()).startsWith("Backup written to " + backup);
      assertThat(made.err()).as("progress, as plain lines off a terminal").contains("Dumping the data 100%");

      CommandResult verified = run(data, "verify", backup.toString(), "--password=" + password);
      assertThat(verified.exitCode()).as(verified.err()).isZero();
      assertThat(verified.out()).contains("a whole, undamaged podvault backup").contains("its seal matches the password");
      CommandResult wrongPassword = run(data, "verify", backup.toString(), "--password=not-the-password");
      assertThat(wrongPassword.exitCode()).as("verify answers 0 or 1").isEqualTo(Cli.FAILED);
      assertThat(wrongPassword.err()).contains("the password does not match");

      byte[] bytes = Files.readAllBytes(backup);
      int rowsAt = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("COPY \"public\".\"Episodes\"") + 300;
      byte[] flipped = bytes.clone();
      flipped[rowsAt] ^= 0x01;
      CommandResult damaged = run(data, "verify", Files.write(dir.resolve("flipped.sql"), flipped).toString());
      assertThat(damaged.exitCode()).isEqualTo(Cli.FAILED);
      assertThat(damaged.err()).contains("failed verification").contains("damaged");
      CommandResult cut = run(data, "verify", Files.write(dir.resolve("cut.sql"), Arrays.copyOf(bytes, rowsAt)).toString());
      assertThat(cut.exitCode()).isEqualTo(Cli.FAILED);
      assertThat(cut.err()).contains("cut short");

      try (Connection c = Connections.open(db)) {
        c.createStatement().execute("UPDATE \"Episodes\" SET episodetitle = 'changed after the backup'");
        c.createStatement().execute("DELETE FROM \"UserEpisodeHistory\"");
      }
      assertThat(PinePodsData.checksums(db)).isNotEqualTo(atBackup);
      String token = server.adminToken();
      List<JsonObject> frames = new CopyOnWriteArrayList<>();
      WebSocket socket = result(vertx.createWebSocketClient().connect(server.port, "localhost", "/ws"));
      socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
      socket.writeTextMessage(new JsonObject().put("type", "auth").put("token", token).encode());
      Thread.sleep(300);

      try (Connection holder = Connections.open(db)) {
        assertThat(JobLock.tryAcquire(holder)).isTrue();
        CommandResult busy = run(data, "restore", backup.toString());
        assertThat(busy.exitCode()).as(busy.err()).isEqualTo(Cli.BUSY);
        assertThat(PinePodsData.checksums(db)).as("a refused restore changes nothing").isNotEqualTo(atBackup);
      }

      CommandResult restored = run(data, "restore", backup.toString());
      assertThat(restored.exitCode()).as(restored.err()).isZero();
      assertThat(restored.out()).startsWith("Restored from " + backup);
      assertThat(PinePodsData.checksums(db)).isEqualTo(atBackup);
      long deadline = System.currentTimeMillis() + 10_000;
      while (frames.stream().noneMatch(f -> "signout".equals(f.getString("type")))) {
        assertThat(System.currentTimeMillis()).as("waiting for the server's socket to be signed out").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(frames).filteredOn(f -> "signout".equals(f.getString("type")))
        .singleElement().satisfies(f -> assertThat(f.getString("reason")).isEqualTo("restore"));
      assertThat(result(server.client.get("/api/auth/me").bearerTokenAuthentication(token).send()).statusCode())
        .as("tokens of before the restore are refused").isEqualTo(401);

      CommandResult toFolder = run(data, "backup");
      assertThat(toFolder.exitCode()).as(toFolder.err()).isZero();
      String name = Path.of(toFolder.out().substring("Backup written to ".length(), toFolder.out().indexOf(" ("))).getFileName().toString();
      assertThat(name).matches("podvault-\\d{8}T\\d{6}Z\\.sql\\.gz");
      CommandResult listed = run(data, "list");
      assertThat(listed.exitCode()).isZero();
      assertThat(listed.out()).contains(name).contains("podvault");
    } finally {
      server.stop();
    }

    // No server holds the data folder now: the command starts the embedded database itself, and lets it go after.
    Path again = dir.resolve("without-server.sql.gz");
    CommandResult alone = run(data, "backup", "--out", again.toString());
    assertThat(alone.exitCode()).as(alone.err()).isZero();
    CommandResult verified = run(data, "verify", again.toString(), "--password=" + password);
    assertThat(verified.exitCode()).as(verified.err()).isZero();
    assertThat(verified.out()).contains("(gzip)");
    ChildServer restarted = ChildServer.start(vertx, data, Map.of());
    try {
      assertThat(PinePodsData.checksums(EmbeddedDatabase.ofRunningServer(data, null))).isEqualTo(atBackup);
    } finally {
      restarted.stop();
    }
  }

  @Test
  @DisplayName("a wrong command, a missing file and a file that is no backup get their exit codes and say why")
  void refusals() throws Exception {
    Path data = dir.resolve("unused");
    assertThat(run(data, "bogus").exitCode()).isEqualTo(Cli.USAGE);
    CommandResult missing = run(data, "restore", dir.resolve("missing.sql").toString());
    assertThat(missing.exitCode()).isEqualTo(Cli.USAGE);
    assertThat(missing.err()).contains("is not a file");
    CommandResult script = run(data, "verify", Files.writeString(dir.resolve("drop.sql"), "DROP TABLE \"Users\";\n").toString());
    assertThat(script.exitCode()).isEqualTo(Cli.FAILED);
    assertThat(script.err()).contains("neither a podvault backup nor a pg_dump file");
    CommandResult help = run(data, "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("backup", "restore", "verify", "list", "Exit codes:");
  }
}
