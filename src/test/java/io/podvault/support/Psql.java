package io.podvault.support;

import io.podvault.config.DbCoordinates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stock psql (Debian's postgresql-client), the tool a backup must load with, without podvault. */
public final class Psql {

  public record Result(int exitCode, String output) {
  }

  private Psql() {
  }

  /** {@code psql -v ON_ERROR_STOP=1 --single-transaction -f file} into the database. */
  public static Result load(DbCoordinates db, Path file) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
      "-h", db.host(), "-p", Integer.toString(db.port()), "-U", db.user(), "-d", db.database(), "-f", file.toString()))
      .redirectErrorStream(true);
    builder.environment().put("PGPASSWORD", db.password());
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("psql did not finish");
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
