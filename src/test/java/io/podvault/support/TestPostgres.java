package io.podvault.support;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL for the whole test run (podvault's own embedded database class starts it),
 * with a fresh database for every test class, so tests are isolated without paying a cluster start each.
 */
public final class TestPostgres {

  public static final String PASSWORD = "test-cluster-password";
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedDatabase cluster;

  private TestPostgres() {
  }

  public static synchronized DbCoordinates cluster() {
    if (cluster == null) {
      try {
        // Removed by this hook, not TempDirs': only once the cluster has stopped.
        Path dir = TempDirs.createKept("podvault-test-pg");
        cluster = EmbeddedDatabase.start(dir, PASSWORD, 0, EmbeddedDatabase.Durability.TEST_ONLY_NO_FSYNC);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            cluster.close();
          } catch (Exception ignored) {
            // the JVM is going away
          }
          TempDirs.deleteQuietly(dir);
        }));
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the test PostgreSQL", e);
      }
    }
    return cluster.coordinates();
  }

  /** A new, empty database on the shared cluster. */
  public static DbCoordinates freshDatabase() {
    DbCoordinates admin = cluster();
    String name = "podvault_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    execute(admin, "CREATE DATABASE " + name);
    return admin.withDatabase(name);
  }

  public static void execute(DbCoordinates db, String sql) {
    try (Connection c = Connections.open(db);
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException("SQL failed: " + sql, e);
    }
  }

  /**
   * Puts {@code lines} before the cluster's own pg_hba.conf rules (the first match wins) until the returned
   * handle is closed, which restores the file. Tests that need another sign-in method use it.
   */
  public static synchronized AutoCloseable hbaRules(List<String> lines) throws Exception {
    DbCoordinates admin = cluster();
    Path hbaFile;
    try (Connection c = Connections.open(admin); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW hba_file")) {
      rs.next();
      hbaFile = Path.of(rs.getString(1));
    }
    String original = Files.readString(hbaFile);
    List<String> changed = new ArrayList<>(lines);
    changed.add(original);
    Files.write(hbaFile, changed);
    execute(admin, "SELECT pg_reload_conf()");
    return () -> {
      Files.writeString(hbaFile, original);
      execute(admin, "SELECT pg_reload_conf()");
    };
  }

  /** postgresql://user:pass@host:port/db?sslmode=... for the given database, with its root certificate if any. */
  public static String url(DbCoordinates db) {
    return "postgresql://" + db.user() + ":" + db.password() + "@" + db.host() + ":" + db.port() + "/" + db.database()
      + "?sslmode=" + db.sslMode().text() + (db.sslRootCert() == null ? "" : "&sslrootcert=" + db.sslRootCert());
  }
}
