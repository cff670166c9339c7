package io.podvault.folder;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvault.config.ConfigKeys;
import io.podvault.contract.Addresses;
import io.podvault.db.Connections;
import io.podvault.dump.Seal;
import io.podvault.support.Await;
import io.podvault.support.DebianPostgres;
import io.podvault.support.PinePodsData;
import io.podvault.support.PinePodsDumps;
import io.podvault.support.TempDirs;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the backup folder promises when things go wrong: a backup that cannot be finished (the disk fills, the
 * database ends its sessions half-way) leaves the folder exactly as it was, older backups included, byte for byte,
 * and no hidden part; and a PinePods file put into the folder restores as its upload does.
 *
 * <p>Every server here runs on a Vert.x of its own: one event bus per server, as in separate processes.
 */
@DisplayName("The backup folder under faults: a full disk, sessions ended half-way, PinePods' files restored from it")
class FolderFaultsTest {

  private static final Logger LOG = LoggerFactory.getLogger(FolderFaultsTest.class);

  /** A server whose backup takes a moment, with a backup already in its folder; the sessions tests share it. */
  private static Vertx largeVertx;
  private static TestServer large;
  private static Path largeFolder;

  private Vertx vertx;
  private TestServer server;
  private Path mounted;

  @BeforeAll
  static void startLarge() throws Exception {
    largeVertx = Vertx.vertx();
    largeFolder = TestServer.tempDir("podvault-test-cut").resolve("backups");
    large = result(TestServer.start(largeVertx, TestPostgres.freshDatabase(),
      Map.of(ConfigKeys.BACKUP_DIR, largeFolder.toString())));
    try (Connection c = Connections.open(large.db)) {
      PinePodsData.fillLarge(c, 40_000, 80_000);
    }
    String token = result(large.adminToken());
    JsonObject job = large.awaitJob(token, result(large.startFolderBackup(token)));
    assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
  }

  @AfterAll
  static void stopLarge() {
    if (large != null) {
      result(large.stop());
    }
    result(largeVertx.close());
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      result(server.stop());
    }
    if (vertx != null) {
      result(vertx.close());
    }
    if (mounted != null) {
      unmount(mounted);
    }
  }

  @Test
  @DisplayName("a backup that fills the disk fails saying so, and leaves the folder as it was: the earlier backup"
    + " listed, whole and unchanged, no new file, no hidden part, the space free again")
  void diskFull() throws Exception {
    Path folder = mountSmallDisk("1m").resolve("backups");
    vertx = Vertx.vertx();
    server = result(TestServer.startWithPinePodsData(vertx, 7, Map.of(ConfigKeys.BACKUP_DIR, folder.toString())));
    String token = result(server.adminToken());
    JsonObject first = server.awaitJob(token, result(server.startFolderBackup(token)));
    assertThat(first.getString("state")).as(first.encode()).isEqualTo("succeeded");
    FolderState before = FolderState.before(folder, server, token);
    long free = Files.getFileStore(folder).getUsableSpace();

    // A backup of some 6 MB compressed (measured: 5.9 MB), where less than 0.7 MB is free.
    try (Connection c = Connections.open(server.db)) {
      PinePodsData.fillLarge(c, 10_000, 20_000);
    }
    JsonObject job = server.awaitJob(token, result(server.startFolderBackup(token)));

    assertThat(job.getString("state")).as(job.encode()).isEqualTo("failed");
    assertThat(job.getString("error")).containsIgnoringCase("no space left").contains("no file was kept");
    before.assertLeftAsItWas(folder, server, token);
    assertThat(Files.getFileStore(folder).getUsableSpace()).as("the space the failed backup took").isEqualTo(free);
  }

  @Test
  @DisplayName("a disk that fills just as a whole backup's manifest is written: the backup fails and leaves no file at all")
  void diskFullAtTheManifest() throws Exception {
    Path folder = mountSmallDisk("1m").resolve("backups");
    BackupFolder backups = new BackupFolder(folder);
    backups.prepare();
    BackupFolder.Writing writing = backups.begin(Instant.parse("2026-11-28T02:00:00Z"), false);
    byte[] page = new byte[4096];
    for (long free = Files.getFileStore(folder).getUsableSpace(); free > 0; free -= page.length) {
      writing.out().write(page);
    }

    assertThatThrownBy(() -> writing.finish("2026-11-28T02:00:00Z", "3", 0)).hasMessageContaining("No space left");
    writing.abandon(); // as the backup job does when a file cannot be finished
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(files).isEmpty();
    }
  }

  /** Which of a running backup's database sessions the database ends. */
  enum Cut {
    READERS("its readers, in the middle of a COPY",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND application_name = ? AND state = 'active' AND query LIKE 'COPY%'"),
    LOCK_HOLDER("the snapshot connection, which holds the job lock",
      "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        + " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name = ?");

    private final String sessions;
    private final String terminate;

    Cut(String sessions, String terminate) {
      this.sessions = sessions;
      this.terminate = terminate;
    }

    @Override
    public String toString() {
      return sessions;
    }
  }

  @ParameterizedTest(name = "the database ends {0}")
  @EnumSource(Cut.class)
  @DisplayName("a backup whose database sessions are ended while it writes rows fails, and leaves the folder as it was:"
    + " the earlier backup listed, whole and unchanged, no new file, no hidden part")
  void sessionsEndedHalfWay(Cut cut) throws Exception {
    String token = result(large.adminToken());
    FolderState before = FolderState.before(largeFolder, large, token);
    AtomicReference<JsonObject> latest = new AtomicReference<>();
    MessageConsumer<JsonObject> progress = large.vertx.eventBus().consumer(Addresses.PROGRESS, m -> latest.set(m.body()));
    result(progress.completion());

    String jobId = result(large.startFolderBackup(token));
    Await.until("the backup to write rows into its file", () -> isWritingRows(latest.get(), jobId));
    long ended = 0;
    try (Connection c = Connections.open(large.db); PreparedStatement terminate = c.prepareStatement(cut.terminate)) {
      terminate.setString(1, Connections.APPLICATION_NAME);
      // A reader may be between two of its COPY statements for a moment: again, while the backup runs.
      while (ended == 0 && running(large, token, jobId)) {
        try (ResultSet rs = terminate.executeQuery()) {
          rs.next();
          ended = rs.getLong(1);
        }
      }
    }
    JsonObject at = latest.get();
    result(progress.unregister());
    LOG.info("Ended {} session(s) at {} of {} rows", ended, at.getLong("rows_done"), at.getLong("rows_total"));
    assertThat(ended).as("sessions ended while the backup ran").isPositive();
    JsonObject job = large.awaitJob(token, jobId);

    assertThat(job.getString("state")).as(job.encode()).isEqualTo("failed");
    assertThat(job.getString("error")).contains("no file was kept");
    before.assertLeftAsItWas(largeFolder, large, token);
  }

  /** Whether a progress event says that this backup is writing rows into its file. */
  private static boolean isWritingRows(JsonObject event, String jobId) {
    return event != null && jobId.equals(event.getString("job_id")) && "running".equals(event.getString("state"))
      && "dumping".equals(event.getString("phase")) && event.getLong("rows_done") > 0;
  }

  private static boolean running(TestServer server, String token, String jobId) {
    return "running".equals(result(server.get("/api/data/jobs/" + jobId, token).send()).bodyAsJsonObject().getString("state"));
  }

  @Test
  @DisplayName("a PinePods backup file put into the folder, plain or gzip-compressed, restores to what its upload restores")
  void pinePodsFileRestoredFromTheFolder() throws Exception {
    assumeTrue(DebianPostgres.installed(), "skipped: PinePods' backup files are made with Debian's pg_dump 15, which "
      + "needs the PostgreSQL 15 binaries in " + DebianPostgres.BIN + " (apt-get install postgresql-15, which .ci/run does)");
    Path folder = TestServer.tempDir("podvault-test-pinepods").resolve("backups");
    vertx = Vertx.vertx();
    server = result(TestServer.startWithPinePodsData(vertx, 5, Map.of(ConfigKeys.BACKUP_DIR, folder.toString())));
    Path plain = folder.resolve("pinepods_backup_20261101.sql");
    try (DebianPostgres cluster = DebianPostgres.plain()) {
      // The file must know podvault's administrator, who signs in again after each restore.
      PinePodsDumps.create(cluster, "pinepods_folder", false, 21,
          List.<String[]>of(new String[] {TestServer.ADMIN, TestServer.ADMIN_PASSWORD, "true"}))
        .dump(plain, PinePodsDumps.CLEAN);
    }
    Path packed = folder.resolve("pinepods_backup_20261101.sql.gz");
    try (InputStream in = Files.newInputStream(plain); OutputStream out = new GZIPOutputStream(Files.newOutputStream(packed))) {
      in.transferTo(out);
    }

    Map<String, String> unrestored = PinePodsData.checksums(server.db);
    String token = result(server.adminToken());
    HttpResponse<Buffer> uploaded = result(server.uploadRestore(token, plain, TestPostgres.PASSWORD));
    assertThat(uploaded.statusCode()).as(uploaded.bodyAsString()).isEqualTo(202);
    assertThat(server.awaitJob(token, uploaded.bodyAsJsonObject().getString("job_id")).getString("state"))
      .isEqualTo("succeeded");
    Map<String, String> expected = PinePodsData.checksums(server.db);
    assertThat(expected).as("the upload's restore changed the data").isNotEqualTo(unrestored);

    for (Path file : List.of(plain, packed)) {
      try (Connection c = Connections.open(server.db); Statement s = c.createStatement()) {
        assertThat(s.executeUpdate("DELETE FROM public.\"UserEpisodeHistory\"")).as("rows the restore must bring back")
          .isPositive();
      }
      token = result(server.adminToken());
      // PinePods' files are not sealed: the password is this server's own database password.
      HttpResponse<Buffer> started = result(server.restoreBackupFile(token, file.getFileName().toString(),
        TestPostgres.PASSWORD));
      assertThat(started.statusCode()).as(started.bodyAsString()).isEqualTo(202);
      assertThat(started.bodyAsJsonObject().getString("format")).isEqualTo("pinepods");
      JsonObject job = server.awaitJob(token, started.bodyAsJsonObject().getString("job_id"));
      assertThat(job.getString("state")).as(job.encode()).isEqualTo("succeeded");
      assertThat(PinePodsData.checksums(server.db)).as(file.getFileName().toString()).isEqualTo(expected);
    }
  }

  /** Mounts a tmpfs of {@code size} on a new folder, for a disk that fills; skips the test where that is not allowed. */
  private Path mountSmallDisk(String size) throws Exception {
    Path dir = TempDirs.create("podvault-test-small-disk");
    Command mount = Command.run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
    assumeTrue(mount.exitCode() == 0, "skipped: a full disk is made of a small tmpfs, and this machine does not let the"
      + " tests mount one (mount -t tmpfs needs root or CAP_SYS_ADMIN): " + mount.output());
    mounted = dir;
    return dir;
  }

  /** Unmounts it; a process still holding a file there (a test that failed half-way) gets a lazy unmount. */
  private static void unmount(Path dir) throws Exception {
    Command umount = Command.run("umount", dir.toString());
    if (umount.exitCode() != 0) {
      LOG.warn("umount {} failed ({}); unmounting lazily", dir, umount.output());
      Command.run("umount", "-l", dir.toString());
    }
  }

  /** A command's exit code and output; a command that cannot be started at all exits with -1. */
  private record Command(int exitCode, String output) {

    static Command run(String... command) throws InterruptedException {
      try {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return new Command(process.waitFor(), output);
      } catch (IOException e) {
        return new Command(-1, e.getMessage());
      }
    }
  }

  /**
   * What a failed backup must leave as it was: every file of the folder, hidden ones too, by name with its SHA-256,
   * and the list the API gives, which holds the earlier backup, whole.
   */
  private record FolderState(Map<String, String> files, List<JsonObject> listed) {

    /** The folder as it is before the backup that fails: its one backup listed, whole. */
    static FolderState before(Path folder, TestServer server, String token) throws IOException {
      FolderState state = of(folder, server, token);
      assertThat(state.listed()).as("the earlier backup").singleElement()
        .satisfies(entry -> assertThat(entry.getBoolean("complete")).isTrue());
      return state;
    }

    static FolderState of(Path folder, TestServer server, String token) throws IOException {
      Map<String, String> files = new TreeMap<>();
      try (Stream<Path> list = Files.list(folder)) {
        for (Path file : list.toList()) {
          files.put(file.getFileName().toString(), HexFormat.of().formatHex(Seal.sha256().digest(Files.readAllBytes(file))));
        }
      }
      return new FolderState(files, result(server.backupFiles(token)).stream().map(JsonObject.class::cast).toList());
    }

    void assertLeftAsItWas(Path folder, TestServer server, String token) throws IOException {
      FolderState after = of(folder, server, token);
      assertThat(after.files().keySet()).as("hidden parts of a backup").noneMatch(name -> name.endsWith(".partial"));
      assertThat(after.files()).as("the folder's files, hidden ones too, byte for byte").isEqualTo(files);
      assertThat(after.listed()).as("the list of backup files").isEqualTo(listed);
    }
  }
}
