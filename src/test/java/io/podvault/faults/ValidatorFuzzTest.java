package io.podvault.faults;

import static io.podvault.support.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.db.Connections;
import io.podvault.dump.BackupFormat;
import io.podvault.dump.Seal;
import io.podvault.contract.JobFailure;
import io.podvault.restore.BackupValidator;
import io.podvault.restore.ExpectedSchema;
import io.podvault.restore.InvalidBackupException;
import io.podvault.support.PinePodsData;
import io.podvault.support.Psql;
import io.podvault.support.TestPostgres;
import io.podvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutants of a real backup: each must be refused with a clear message, or, when the mutation leaves a
 * well-formed file that is correctly signed, restore exactly what it says (what stock psql loads from it).
 * Never another kind of error, never a hang, never a change before acceptance. The seed is fixed; the
 * benchmark script runs more mutants with {@code -Dpodvault.fuzz.mutants=N}.
 */
@DisplayName("Mutation fuzzing of the restore validator")
class ValidatorFuzzTest {

  private static final long SEED = 20_261_126L;
  private static final int MUTANTS = Integer.getInteger("podvault.fuzz.mutants", 1000);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ValidatorFuzzTest.class);
  private static final String PASSWORD = TestPostgres.PASSWORD;
  private static final List<String> INJECTED = List.of(
    "COPY \"public\".\"Users\" (\"userid\") FROM PROGRAM 'touch /tmp/podvault-pwned';",
    "DROP TABLE \"public\".\"Users\" CASCADE;",
    "ALTER ROLE postgres WITH SUPERUSER PASSWORD 'owned';",
    "\\! touch /tmp/podvault-pwned",
    "SELECT pg_sleep(3600);",
    "COPY \"public\".\"Users\" (\"userid\") FROM stdin;\n99\n\\.");

  private static Vertx vertx;
  private static TestServer server;
  private static byte[] content;
  private static String trailer;
  private static byte[] key;
  private static BackupValidator.SchemaSource schemas;

  @TempDir
  Path dir;

  @BeforeAll
  static void start(@TempDir Path shared) throws Exception {
    vertx = Vertx.vertx();
    server = result(TestServer.start(vertx));
    try (Connection c = Connections.open(server.db)) {
      PinePodsData.fill(c, 99);
    }
    Path file = shared.resolve("server_backup.sql");
    result(server.downloadBackup(result(server.adminToken()), PASSWORD, file));
    byte[] bytes = Files.readAllBytes(file);
    int trailerAt = lastLineStart(bytes);
    content = Arrays.copyOf(bytes, trailerAt);
    trailer = new String(bytes, trailerAt, bytes.length - trailerAt, StandardCharsets.UTF_8);
    String kdf = new String(content, StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("-- kdf: ")).findFirst()
      .orElseThrow().substring(8);
    key = Seal.fromJson(new JsonObject(kdf)).key(PASSWORD);
    Map<String, ExpectedSchema> cache = new HashMap<>();
    schemas = version -> {
      if (!cache.containsKey(version)) {
        cache.put(version, ExpectedSchema.at(server.db, version));
      }
      return cache.get(version);
    };
  }

  @AfterAll
  static void stop() {
    result(server.stop());
    result(vertx.close());
  }

  private static int lastLineStart(byte[] bytes) {
    int i = bytes.length - 1;
    while (i > 0 && bytes[i - 1] != '\n') {
      i--;
    }
    return i;
  }

  /** The content with a trailer computed the way podvault does, under the right password. */
  private static byte[] signed(byte[] mutated) {
    byte[] digest = Seal.sha256().digest(mutated);
    String line = BackupFormat.TRAILER_PREFIX + new JsonObject()
      .put(BackupFormat.TRAILER_SHA256, BackupFormat.HEX.formatHex(digest))
      .put(BackupFormat.TRAILER_HMAC, BackupFormat.HEX.formatHex(Seal.hmac(key, digest))).encode() + "\n";
    return concat(mutated, line.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private record Mutant(String description, byte[] content) {
  }

  private static Mutant mutate(Random random) {
    List<int[]> lines = lineBounds(content);
    int kind = random.nextInt(9);
    int[] line = lines.get(random.nextInt(lines.size()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (kind) {
      case 0 -> {
        byte[] copy = content.clone();
        int at = random.nextInt(copy.length);
        copy[at] ^= (byte) (1 << random.nextInt(8));
        return new Mutant("bit flip at byte " + at, copy);
      }
      case 1 -> {
        int at = random.nextInt(content.length);
        return new Mutant("cut at byte " + at, Arrays.copyOf(content, at));
      }
      case 2 -> {
        out.write(content, 0, line[1]);
        out.write(content, line[0], line[1] - line[0]);
        out.write(content, line[1], content.length - line[1]);
        return new Mutant("line at byte " + line[0] + " doubled", out.toByteArray());
      }
      case 3 -> {
        int[] other = lines.get(random.nextInt(lines.size()));
        int[] first = line[0] < other[0] ? line : other;
        int[] second = line[0] < other[0] ? other : line;
        if (first[1] > second[0]) {
          return new Mutant("no swap", content.clone());
        }
        out.write(content, 0, first[0]);
        out.write(content, second[0], second[1] - second[0]);
        out.write(content, first[1], second[0] - first[1]);
        out.write(content, first[0], first[1] - first[0]);
        out.write(content, second[1], content.length - second[1]);
        return new Mutant("lines at bytes " + first[0] + " and " + second[0] + " swapped", out.toByteArray());
      }
      case 4 -> {
        String statement = INJECTED.get(random.nextInt(INJECTED.size())) + "\n";
        return new Mutant("injected '" + statement.strip() + "' at byte " + line[0], insert(line[0], statement.getBytes(StandardCharsets.UTF_8)));
      }
      case 5 -> {
        byte[] bad = random.nextBoolean() ? new byte[] {(byte) 0xC3, 0x28} : new byte[] {(byte) 0xFF, (byte) 0xFE};
        int at = line[0] + random.nextInt(Math.max(1, line[1] - line[0]));
        return new Mutant("invalid UTF-8 at byte " + at, insert(at, bad));
      }
      case 6 -> {
        int at = line[0] + random.nextInt(Math.max(1, line[1] - line[0]));
        return new Mutant("NUL byte at " + at, insert(at, new byte[] {0}));
      }
      case 7 -> {
        String text = new String(content, StandardCharsets.UTF_8);
        String huge = random.nextBoolean() ? "9223372036854775807" : "1000000000000";
        String mutated = text.replaceFirst("(-- table: \\{\"name\":\"[A-Za-z]+\",\"rows\":)\\d+", "$1" + huge);
        return new Mutant("a table declares " + huge + " rows", mutated.getBytes(StandardCharsets.UTF_8));
      }
      default -> {
        byte[] data = new byte[1 + random.nextInt(200_000)];
        Arrays.fill(data, (byte) 'x');
        return new Mutant("a " + data.length + "-byte line inserted at byte " + line[0], insert(line[0], concat(data, new byte[] {'\n'})));
      }
    }
  }

  private static byte[] insert(int at, byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(content, 0, at);
    out.write(bytes, 0, bytes.length);
    out.write(content, at, content.length - at);
    return out.toByteArray();
  }

  private static List<int[]> lineBounds(byte[] bytes) {
    List<int[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        lines.add(new int[] {start, i + 1});
        start = i + 1;
      }
    }
    return lines;
  }

  /** Validates with a time limit; returns null when accepted, else the refusal. */
  private InvalidBackupException check(ExecutorService executor, Path file, String description) throws Exception {
    Future<InvalidBackupException> outcome = executor.submit(() -> {
      try {
        new BackupValidator(schemas, BackupValidator.Progress.NONE).validate(file, PASSWORD);
        return null;
      } catch (InvalidBackupException e) {
        return e;
      }
    });
    try {
      return outcome.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("mutant '" + description + "' made the validator fail with " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      outcome.cancel(true);
      throw new AssertionError("mutant '" + description + "' made the validator hang");
    }
  }

  @Test
  @DisplayName("every mutant is refused with a clear message or, when well-formed and signed, accepted")
  void mutants() throws Exception {
    Random random = new Random(SEED);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    Path file = dir.resolve("mutant.sql");
    List<Mutant> accepted = new ArrayList<>();
    int refused = 0;
    try {
      for (int i = 0; i < MUTANTS; i++) {
        Mutant mutant = mutate(random);
        boolean changed = !Arrays.equals(mutant.content(), content);
        Files.write(file, concat(mutant.content(), trailer.getBytes(StandardCharsets.UTF_8)));
        InvalidBackupException unsigned = check(executor, file, mutant.description());
        if (changed) {
          assertThat(unsigned).as("unsigned mutant '%s' must be refused", mutant.description()).isNotNull();
        }
        if (unsigned != null) {
          refused++;
          assertClear(unsigned, mutant);
        }
        Files.write(file, signed(mutant.content()));
        InvalidBackupException resigned = check(executor, file, mutant.description() + " (signed)");
        if (resigned == null) {
          if (changed) {
            accepted.add(mutant);
          }
        } else {
          refused++;
          assertClear(resigned, mutant);
          assertThat(resigned.failure()).as(mutant.description()).isEqualTo(JobFailure.INVALID_BACKUP);
        }
      }
    } finally {
      executor.shutdownNow();
    }
    LOG.info("Fuzzed {} mutants ({} files, each unsigned and signed): {} refused, {} accepted as well-formed",
      MUTANTS, 2 * MUTANTS, refused, accepted.size());
    assertThat(refused).as("mutants refused").isGreaterThan(MUTANTS);
    for (Mutant mutant : accepted.subList(0, Math.min(3, accepted.size()))) {
      restoresWhatItSays(mutant);
    }
  }

  private static void assertClear(InvalidBackupException e, Mutant mutant) {
    assertThat(e.getMessage()).as("the message for '%s'", mutant.description())
      .isNotBlank()
      .doesNotContain("Exception")
      .matches("(?s)(the file|this is not a podvault backup|this backup|table |the password).*");
  }

  /** An accepted mutant restores to exactly what stock psql loads from the same file. */
  private void restoresWhatItSays(Mutant mutant) throws Exception {
    Path file = Files.write(dir.resolve("accepted.sql"), signed(mutant.content()));
    var reference = TestPostgres.freshDatabase();
    Psql.Result load = Psql.load(reference, file);
    assertThat(load.exitCode()).as(mutant.description() + ": " + load.output()).isZero();
    String token = result(server.adminToken());
    HttpResponse<Buffer> response = result(server.uploadRestore(token, file, PASSWORD));
    assertThat(response.statusCode()).as(mutant.description()).isEqualTo(202);
    assertThat(server.awaitJob(token, response.bodyAsJsonObject().getString("job_id")).getString("state")).isEqualTo("succeeded");
    try (Connection restored = Connections.open(server.db);
         Connection expected = Connections.open(reference)) {
      assertThat(PinePodsData.tableChecksums(restored, "public")).as(mutant.description())
        .isEqualTo(PinePodsData.tableChecksums(expected, "public"));
    }
  }

  @Test
  @DisplayName("mutants sent through the API get a 4xx with a message, and the database does not change")
  void mutantsThroughTheApi() throws Exception {
    Random random = new Random(SEED + 1);
    Map<String, String> before;
    try (Connection c = Connections.open(server.db)) {
      before = PinePodsData.tableChecksums(c, "public");
    }
    String token = result(server.adminToken());
    Path file = dir.resolve("api-mutant.sql");
    for (int i = 0; i < 25; i++) {
      Mutant mutant = mutate(random);
      if (Arrays.equals(mutant.content(), content)) {
        continue;
      }
      Files.write(file, concat(mutant.content(), trailer.getBytes(StandardCharsets.UTF_8)));
      HttpResponse<Buffer> response = result(server.uploadRestore(token, file, PASSWORD));
      assertThat(response.statusCode()).as(mutant.description()).isBetween(400, 499);
      assertThat(response.bodyAsJsonObject().getString("error")).as(mutant.description()).isNotBlank();
    }
    try (Connection c = Connections.open(server.db)) {
      assertThat(PinePodsData.tableChecksums(c, "public")).isEqualTo(before);
    }
    try (var files = Files.list(server.podvault.dataDir().resolve("restore"))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  @DisplayName("a 70 MiB line where a statement is due is refused as damage")
  void longLineInPlaceOfAStatement() throws Exception {
    Path file = dir.resolve("long-line.sql");
    int at = lineBounds(content).get(60)[0];
    try (var out = Files.newOutputStream(file)) {
      out.write(content, 0, at);
      byte[] block = new byte[1 << 20];
      Arrays.fill(block, (byte) 'y');
      for (int i = 0; i < 70; i++) {
        out.write(block);
      }
      out.write('\n');
      out.write(content, at, content.length - at);
      out.write(trailer.getBytes(StandardCharsets.UTF_8));
    }
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      InvalidBackupException refusal = check(executor, file, "70 MiB line");
      assertThat(refusal).isNotNull();
      assertThat(refusal.getMessage()).startsWith("the file is damaged at byte " + at);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  @DisplayName("a row longer than PostgreSQL can hold is refused as it streams past")
  void rowLongerThanPostgresCanHold() throws Exception {
    String text = new String(content, StandardCharsets.UTF_8);
    int rowsStart = text.indexOf('\n', text.indexOf("COPY \"public\".\"HostFeedCache\"")) + 1;
    byte[] head = Arrays.copyOf(content, rowsStart);
    long rowBytes = (1L << 30) + 16;
    // Generated as it is read: a file of this size is not written to disk for the test.
    InputStream hostile = new InputStream() {
      private long served;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0];
      }

      @Override
      public int read(byte[] into, int offset, int length) {
        if (served >= head.length + rowBytes) {
          return -1;
        }
        int n = 0;
        while (n < length && served < head.length + rowBytes) {
          into[offset + n++] = served < head.length ? head[(int) served] : (byte) 'y';
          served++;
        }
        return n;
      }
    };
    InvalidBackupException refusal = org.junit.jupiter.api.Assertions.assertThrows(InvalidBackupException.class,
      () -> new BackupValidator(schemas, BackupValidator.Progress.NONE)
        .validate(hostile, java.util.concurrent.CompletableFuture.completedFuture(PASSWORD), false));
    assertThat(refusal.getMessage()).contains("is longer than 1073741823 bytes, more than PostgreSQL can hold in one row");
  }
}
