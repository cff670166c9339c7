package io.podvault.cli;

import static io.podvault.contract.Fields.*;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.ConsoleAppender;
import io.podvault.config.Config;
import io.podvault.config.ConfigException;
import io.podvault.contract.JobException;
import io.podvault.contract.JobFailure;
import io.podvault.db.DatabaseUnavailableException;
import io.podvault.folder.BackupFolder;
import io.podvault.restore.BackupVerifier;
import io.podvault.restore.Gzip;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * {@code java -jar podvault.jar COMMAND}: the operator's backup, restore, verify and list, with the server's
 * configuration (the same environment and {@code conf/config.json}) and under the same job lock as every server.
 * Results go to standard output, progress and errors to standard error.
 */
@Command(name = "podvault", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
  description = {"Backs up and restores the podcast server's data.", "Without a command, runs the server."},
  subcommands = {Cli.Backup.class, Cli.Restore.class, Cli.Verify.class, Cli.ListFiles.class},
  exitCodeListHeading = "%nExit codes:%n",
  exitCodeList = {
    "0:done",
    "1:the job failed, or the file is not a whole, undamaged backup or (verify) not sealed with the password given; the message says why",
    "2:the command or the configuration is wrong",
    "3:another backup or restore is running on this database",
    "4:the database cannot be reached",
    "5:a password was refused: the backup's seal is another password's (restore)"})
public final class Cli {

  public static final int DONE = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int BUSY = 3;
  public static final int DATABASE = 4;
  public static final int PASSWORD = 5;

  private static final PrintStream OUT = System.out;
  private static final PrintStream ERR = System.err;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
    description = "log what is done, as the server logs it (to standard error)")
  void verbose(boolean verbose) {
    logLevel(verbose ? Level.INFO : Level.WARN);
  }

  private Cli() {
  }

  /** Runs the command and returns its exit code. */
  public static int run(String... args) {
    logLevel(Level.WARN);
    CommandLine commandLine = new CommandLine(new Cli());
    commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
      ERR.println("podvault: " + e.getMessage());
      return FAILED;
    });
    return commandLine.execute(args);
  }

  @Command(name = "backup", description = {"Backs up all data into the backup folder (backup_dir), or into --out FILE.",
    "The backup is sealed with this server's database password, as a download is."})
  static final class Backup implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "FILE",
      description = "write the backup to FILE (gzip-compressed when its name ends in .gz); a file there is replaced once the new one is whole")
    Path out;

    @Override
    public Integer call() {
      return withJobs(jobs -> {
        JsonObject end = jobs.backup(out, progress());
        if (!STATE_SUCCEEDED.equals(end.getString(STATE))) {
          ERR.println("podvault: " + end.getString(ERROR));
          return FAILED;
        }
        OUT.println("Backup written to " + end.getString(FILE) + String.format(Locale.ROOT, " (%,d rows)", end.getLong(ROWS_TOTAL, 0L)));
        return DONE;
      });
    }
  }

  @Command(name = "restore", description = {"Replaces all data with a backup file.",
    "It takes podvault's backups and PinePods' pg_dump files, plain or gzip. The whole file is checked before anything",
    "changes, then swapped in at once; every running server then signs everyone out."})
  static final class Restore implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the backup file")
    Path file;

    @Option(names = "--password", arity = "0..1", interactive = true, paramLabel = "PASSWORD",
      description = "the database password the backup was sealed with, when it comes from another server "
        + "(default: this server's); without a value it is asked for")
    String password;

    @Override
    public Integer call() {
      if (!Files.isRegularFile(file)) {
        ERR.println("podvault: " + file + " is not a file");
        return USAGE;
      }
      return withJobs(jobs -> {
        JsonObject end = jobs.restore(file, password, progress());
        if (end.getString(STATE) == null) {
          ERR.println("podvault: the file was refused: " + end.getString(ERROR));
          return exitCode(JobFailure.fromWireCode(end.getInteger(CODE)));
        }
        if (!STATE_SUCCEEDED.equals(end.getString(STATE))) {
          ERR.println("podvault: " + end.getString(ERROR));
          return FAILED;
        }
        OUT.println("Restored from " + file + String.format(Locale.ROOT, " (%,d rows)", end.getLong(ROWS_TOTAL, 0L))
          + "; every session has ended, everyone signs in again");
        return DONE;
      });
    }
  }

  @Command(name = "verify", description = {"Checks a backup file, without the database.",
    "It checks the format, that the file is whole, its SHA-256, and with --password its seal."})
  static final class Verify implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the backup file")
    Path file;

    @Option(names = "--password", arity = "0..1", interactive = true, paramLabel = "PASSWORD",
      description = "also check the seal: the database password the backup was made with; without a value it is asked for")
    String password;

    @Override
    public Integer call() {
      try {
        BackupVerifier.Verified verified = BackupVerifier.verify(file, password);
        OUT.println(file + ": " + describe(verified));
        return DONE;
      } catch (JobException | Gzip.DamagedException e) {
        // A seal that is another password's fails verification too: verify answers 0 or 1, with the reason.
        ERR.println("podvault: " + file + " failed verification: " + e.getMessage());
        return FAILED;
      } catch (IOException e) {
        ERR.println("podvault: " + file + " cannot be read: " + e.getMessage());
        return FAILED;
      }
    }

    private static String describe(BackupVerifier.Verified v) {
      String compressed = v.compressed() ? " (gzip)" : "";
      if (!"podvault".equals(v.format())) {
        return "a whole PinePods backup" + compressed + " (pg_dump's last line is there; it has no checksum or seal)";
      }
      return String.format(Locale.ROOT, "a whole, undamaged podvault backup%s made %s: schema version %s, %,d rows in %d tables; %s",
        compressed, v.createdAt(), v.schemaVersion(), v.rows(), v.tables(),
        v.sealChecked() ? "its seal matches the password" : "seal not checked (give --password)");
    }
  }

  @Command(name = "list", description = "Lists the backups in the backup folder (backup_dir), newest first.")
  static final class ListFiles implements Callable<Integer> {

    @Override
    public Integer call() {
      Config config = config();
      if (config == null) {
        return USAGE;
      }
      BackupFolder folder = new BackupFolder(config.backupDir());
      List<BackupFolder.Entry> entries;
      try {
        entries = Files.isDirectory(folder.dir()) ? folder.list() : List.of();
      } catch (IOException e) {
        ERR.println("podvault: the backup folder " + folder.dir() + " cannot be read: " + e.getMessage());
        return FAILED;
      }
      if (entries.isEmpty()) {
        ERR.println("No backups in " + folder.dir());
        return DONE;
      }
      OUT.printf(Locale.ROOT, "%-40s %12s  %-8s  %-20s %12s  %s%n", "FILE", "BYTES", "FORMAT", "MADE", "ROWS", "COMPLETE");
      for (BackupFolder.Entry e : entries) {
        OUT.printf(Locale.ROOT, "%-40s %12d  %-8s  %-20s %12s  %s%n", e.filename(), e.size(), e.format(),
          e.createdAt() != null ? e.createdAt() : e.modified().toString(), e.rows() == null ? "-" : e.rows().toString(),
          e.complete() == null ? "unknown (verify tells)" : e.complete() ? "yes" : "no");
      }
      return DONE;
    }
  }

  /** What a command does with the jobs; returns the exit code. */
  @FunctionalInterface
  private interface WithJobs {
    int run(LocalJobs jobs) throws Exception;
  }

  private static int withJobs(WithJobs command) {
    Config config = config();
    if (config == null) {
      return USAGE;
    }
    try (LocalJobs jobs = LocalJobs.open(config)) {
      return command.run(jobs);
    } catch (ReplyException e) {
      ERR.println("podvault: " + e.getMessage());
      return exitCode(JobFailure.fromWireCode(e.failureCode()));
    } catch (DatabaseUnavailableException | SQLException e) {
      ERR.println("podvault: the database cannot be reached: " + e.getMessage());
      return DATABASE;
    } catch (Exception e) {
      ERR.println("podvault: " + e.getMessage());
      LoggerFactory.getLogger(Cli.class).info("The command failed", e);
      return FAILED;
    }
  }

  private static Config config() {
    try {
      return Config.load(System.getenv());
    } catch (ConfigException e) {
      ERR.println("podvault: configuration error: " + e.getMessage());
      return null;
    }
  }

  static int exitCode(JobFailure failure) {
    return switch (failure) {
      case JOB_RUNNING -> BUSY;
      case DATABASE_UNAVAILABLE -> DATABASE;
      case WRONG_DATABASE_PASSWORD, BACKUP_PASSWORD_MISMATCH, SERVER_PASSWORD_REQUIRED -> PASSWORD;
      default -> FAILED;
    };
  }

  private static ProgressPrinter progress() {
    return new ProgressPrinter(ERR, System.console() != null);
  }

  /** Commands log warnings only, and to standard error, which keeps standard output for their results. */
  private static void logLevel(Level level) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    if (root.getAppender("STDOUT") instanceof ConsoleAppender<?> console && !"System.err".equals(console.getTarget())) {
      console.stop();
      console.setTarget("System.err");
      console.start();
    }
  }

  /** The version the jar was built as. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Cli.class.getPackage().getImplementationVersion();
      return new String[] {"podvault " + (version != null ? version : "(development build)")};
    }
  }
}
