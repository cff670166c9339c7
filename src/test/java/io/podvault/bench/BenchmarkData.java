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
 * administrator the benchmark signs in as, then the data of one shape. Reads the same environment as podvault
 * ({@code PODVAULT_DB_URL}, {@code PODVAULT_ADMIN_USERNAME}, {@code PODVAULT_ADMIN_PASSWORD}). Flags:
 * <ul>
 *   <li>{@code --shape text} (the default): {@link PinePodsData#fillLarge}, long PinePods-shaped text in episodes
 *   and podcasts and four history rows an episode; {@code --rows N} sets about N rows in all, or
 *   {@code --episodes N --history N} set the two counts (default 500 000 and 2 000 000);</li>
 *   <li>{@code --shape history}: {@link HistoryData}, short rows, most of them history, episodes and gPodder
 *   actions; {@code --rows N} (default 2 200 000).</li>
 * </ul>
 * The role must be a superuser (both fills need it). Prints one line,
 * {@code rows: shape=S episodes=E history=H actions=A total=T tables=N filled=F indexes=I}, T counting every row
 * of schema public, N its tables, F those with rows and I their indexes.
 */
public final class BenchmarkData {

  /** fillLarge writes about 5.26 rows an episode at four history rows an episode (the rest follow the history). */
  private static final double TEXT_ROWS_PER_EPISODE = 5.26;

  private BenchmarkData() {
  }

  public static void main(String[] args) throws Exception {
    String shape = "text";
    long rows = 0;
    int episodes = 0;
    int history = 0;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        usage("missing value after " + flag);
      }
      switch (flag) {
        case "--shape" -> shape = args[++i];
        case "--rows" -> rows = Long.parseLong(args[++i]);
        case "--episodes" -> episodes = Integer.parseInt(args[++i]);
        case "--history" -> history = Integer.parseInt(args[++i]);
        default -> usage("unknown flag " + flag);
      }
    }
    boolean counts = episodes > 0 || history > 0;
    if (!shape.equals("text") && !shape.equals("history")) {
      usage("unknown shape " + shape);
    }
    if (counts && (rows > 0 || shape.equals("history"))) {
      usage("--episodes and --history are for --shape text without --rows");
    }
    DbCoordinates db = DbCoordinates.fromUrl(env("PODVAULT_DB_URL"));
    Migrations.migrate(db, SchemaCheck.adoption(db));
    try (Connection c = Connections.open(db)) {
      // podvault creates its administrator only while none exists, and the bulk data brings some (listener_1,
      // whose hash is fake), so ours is written first, with a real hash.
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO \"Users\" (fullname, username, email, hashed_pw, isadmin) VALUES (?, ?, NULL, ?, true)")) {
        ps.setString(1, "Administrator");
        ps.setString(2, env("PODVAULT_ADMIN_USERNAME"));
        ps.setString(3, PasswordHasher.hash(env("PODVAULT_ADMIN_PASSWORD")));
        ps.executeUpdate();
      }
      if (shape.equals("history")) {
        HistoryData.fill(c, rows > 0 ? rows : 2_200_000);
      } else {
        if (rows > 0) {
          episodes = (int) Math.max(1, Math.round(rows / TEXT_ROWS_PER_EPISODE));
          history = 4 * episodes;
        }
        PinePodsData.fillLarge(c, episodes > 0 ? episodes : 500_000, history > 0 ? history : 2_000_000);
      }
      System.out.println("rows: shape=" + shape + " episodes=" + count(c, "public.\"Episodes\"")
        + " history=" + count(c, "public.\"UserEpisodeHistory\"")
        + " actions=" + count(c, "public.\"GpodderSyncEpisodeActions\"") + " " + tables(c));
    }
  }

  private static long count(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Rows in every table of schema public, the tables, those with rows, and their indexes. */
  private static String tables(Connection c) throws SQLException {
    long total = 0;
    int tables = 0;
    int filled = 0;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'public'")) {
      while (rs.next()) {
        long rows = count(c, rs.getString(1));
        total += rows;
        tables++;
        filled += rows > 0 ? 1 : 0;
      }
    }
    return "total=" + total + " tables=" + tables + " filled=" + filled + " indexes="
      + count(c, "pg_indexes WHERE schemaname = 'public'");
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
      + "java -cp target/test-classes:target/podvault.jar io.podvault.bench.BenchmarkData "
      + "[--shape text|history] [--rows N] [--episodes N --history N]");
    System.exit(2);
  }
}
