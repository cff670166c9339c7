package io.podvault.support;

import io.podvault.auth.PasswordHasher;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * PinePods' backup files, made the way PinePods makes them: Debian's pg_dump 15 run with PinePods' options on a
 * PostgreSQL 15 database that holds PinePods' schema (built by podvault's migrations) and realistic data in
 * every table, with PinePods users whose passwords are known. pg_dump 13, 14, 16 and 17 cannot be installed
 * here; {@link #asIfFrom} rewrites a file to each version's known differences, and such files are synthetic.
 */
public final class PinePodsDumps {

  /** A PinePods administrator in the dumped data, and their password. */
  public static final String PINEPODS_ADMIN = "pinepods-admin";
  public static final String PINEPODS_ADMIN_PASSWORD = "pinepods-admin-password";
  /** PinePods' backup endpoint: data only, triggers disabled, no sessions. */
  public static final List<String> DATA_ONLY = List.of("--data-only", "--disable-triggers",
    "--exclude-table-data=\"Sessions\"", "--exclude-table-data=\"GpodderSessions\"");
  /** PinePods' backup folder: schema and data, dropping what exists first. */
  public static final List<String> CLEAN = List.of("--clean", "--if-exists");

  private final DebianPostgres cluster;
  private final String database;

  private PinePodsDumps(DebianPostgres cluster, String database) {
    this.cluster = cluster;
    this.database = database;
  }

  /**
   * A database on {@code cluster} with PinePods' schema and data. With {@code podvaultAlsoRuns}, podvault's own
   * schema is there too, as on a PinePods database that podvault also runs on; otherwise only PinePods' tables.
   * {@code also} names users to add (username, password, admin) beside the test data's.
   */
  public static PinePodsDumps create(DebianPostgres cluster, String database, boolean podvaultAlsoRuns, long seed,
                                     List<String[]> also) throws SQLException {
    TestPostgres.execute(cluster.admin("postgres"), "CREATE DATABASE " + database);
    DbCoordinates db = cluster.admin(database);
    Migrations.migrate(db, SchemaCheck.adoption(db));
    try (Connection c = Connections.open(db)) {
      if (!podvaultAlsoRuns) {
        c.createStatement().execute("DROP SCHEMA " + Migrations.INTERNAL_SCHEMA + " CASCADE");
      }
      PinePodsData.fill(c, seed);
      List<String[]> users = new ArrayList<>(also);
      users.add(new String[] {PINEPODS_ADMIN, PINEPODS_ADMIN_PASSWORD, "true"});
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"Users\" (fullname, username, email, hashed_pw, isadmin) "
        + "VALUES (?, ?, ?, ?, ?)")) {
        for (String[] user : users) {
          ps.setString(1, user[0]);
          ps.setString(2, user[0]);
          ps.setString(3, user[0] + "@pinepods.example");
          ps.setString(4, PasswordHasher.hash(user[1]));
          ps.setBoolean(5, Boolean.parseBoolean(user[2]));
          ps.execute();
        }
      }
    }
    return new PinePodsDumps(cluster, database);
  }

  public DbCoordinates db() {
    return cluster.admin(database);
  }

  /** Runs Debian's pg_dump 15 with {@code options} into {@code out}. */
  public Path dump(Path out, List<String> options) throws IOException, InterruptedException {
    return cluster.pgDump(database, out, options.toArray(String[]::new));
  }

  /**
   * A copy of a pg_dump 15 file rewritten to what pg_dump {@code major} writes differently (synthetic): the
   * version in its header comments, 17's {@code SET transaction_timeout}, and the {@code \restrict} lines that
   * only recent minor releases write (kept for 16 and 17, dropped for 13 and 14 as their older releases wrote).
   */
  public static Path asIfFrom(int major, Path dump, Path out) throws IOException {
    String version = switch (major) {
      case 13 -> "13.16 (Debian 13.16-0+deb11u1)";
      case 14 -> "14.13 (Ubuntu 14.13-0ubuntu0.22.04.1)";
      case 16 -> "16.10 (Debian 16.10-1.pgdg120+1)";
      case 17 -> "17.6 (Debian 17.6-1.pgdg120+1)";
      default -> throw new IllegalArgumentException("no known differences for pg_dump " + major);
    };
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(dump, StandardCharsets.UTF_8)) {
      if (line.startsWith("-- Dumped from database version ") || line.startsWith("-- Dumped by pg_dump version ")) {
        line = line.substring(0, line.lastIndexOf("version ") + "version ".length()) + version;
      }
      if (major < 15 && (line.startsWith("\\restrict ") || line.startsWith("\\unrestrict "))) {
        continue;
      }
      lines.add(line);
      if (major >= 17 && line.equals("SET statement_timeout = 0;")) {
        lines.add("SET transaction_timeout = 0;");
      }
    }
    return Files.write(out, lines, StandardCharsets.UTF_8);
  }
}
