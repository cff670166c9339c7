package io.podvault.bench;

import io.podvault.auth.PasswordHasher;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import io.podvault.support.PinePodsData;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Fills the benchmark database for {@code bench/run.sh}: PinePods' schema (podvault's migrations), the
 * administrator the benchmark signs in as, then {@link PinePodsData#fillLarge}. Reads the same environment
 * as podvault ({@code PODVAULT_DB_URL}, {@code PODVAULT_ADMIN_USERNAME}, {@code PODVAULT_ADMIN_PASSWORD});
 * flags {@code --episodes N --history N} set the scale. The role must be a superuser (fillLarge needs it).
 * Prints one line, {@code rows: episodes=E history=H total=T}, T counting every row of schema public.
 */
public final class BenchmarkData {

  private BenchmarkData() {
  }

  public static void main(String[] args) throws Exception {
    int episodes = 500_000;
    int history = 2_000_000;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        usage("missing value after " + flag);
      }
      switch (flag) {
        case "--episodes" -> episodes = Integer.parseInt(args[++i]);
        case "--history" -> history = Integer.parseInt(args[++i]);
        default -> usage("unknown flag " + flag);
      }
    }
    DbCoordinates db = DbCoordinates.fromUrl(env("PODVAULT_DB_URL"));
    Migrations.migrate(db, SchemaCheck.adoption(db));
    try (Connection c = Connections.open(db)) {
      // podvault creates its administrator only while none exists, and the bulk data brings one
      // (listener_1, whose hash is fake), so ours is written first, with a real hash.
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO \"Users\" (fullname, username, email, hashed_pw, isadmin) VALUES (?, ?, NULL, ?, true)")) {
        ps.setString(1, "Administrator");
        ps.setString(2, env("PODVAULT_ADMIN_USERNAME"));
        ps.setString(3, PasswordHasher.hash(env("PODVAULT_ADMIN_PASSWORD")));
        ps.executeUpdate();
      }
      PinePodsData.fillLarge(c, episodes, history);
      System.out.println("rows: episodes=" + count(c, "\"Episodes\"") + " history=" + count(c, "\"UserEpisodeHistory\"")
        + " total=" + totalRows(c));
    }
  }

  private static long count(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Rows in every table of schema public. */
  private static long totalRows(Connection c) throws SQLException {
    long total = 0;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'public'")) {
      while (rs.next()) {
        total += count(c, rs.getString(1));
      }
    }
    return total;
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      usage("environment variable " + name + " is not set");
    }
    return value;
  }

  private static void usage(String problem) {
    System.err.println("BenchmarkData: " + problem);
    System.err.println("usage: PODVAULT_DB_URL=... PODVAULT_ADMIN_USERNAME=... PODVAULT_ADMIN_PASSWORD=... "
      + "java -cp target/test-classes:target/podvault.jar io.podvault.bench.BenchmarkData [--episodes N] [--history N]");
    System.exit(2);
  }
}
