package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.flywaydb.core.api.MigrationVersion;

/**
 * The schema that podvault's own migrations build at a given version, read from a scratch copy: the standard
 * that the live schema and every backup file are held to. The copy is built in schema {@value #SCRATCH} under
 * an advisory lock of its own (processes starting together take turns), read, and dropped; its definitions
 * are renamed to the application schema. The migrations are fixed in the build, so each version is built
 * once per database and process.
 */
public final class MigratedCatalog {

  static final String SCRATCH = "podvault_scratch";
  /** "pvscratc" in ASCII, as a 64-bit advisory lock key: one scratch copy at a time per database. */
  private static final long SCRATCH_LOCK = 0x7076736372617463L;
  private static final Map<String, Catalog> BUILT = new ConcurrentHashMap<>();

  private MigratedCatalog() {
  }

  /** The catalog of {@code version}, as if the migrations had built it in the application schema. */
  public static Catalog at(DbCoordinates db, String version) throws SQLException {
    String key = db.host() + ":" + db.port() + "/" + db.database() + "@" + version;
    Catalog built = BUILT.get(key);
    if (built == null) {
      built = build(db, version);
      BUILT.put(key, built);
    }
    return built;
  }

  private static Catalog build(DbCoordinates db, String version) throws SQLException {
    try (Connection c = Connections.open(db)) {
      lock(c, "SELECT pg_advisory_lock(?)");
      try {
        // A scratch copy left by a process killed while building it.
        SchemaDrop.dropIfExists(c, SCRATCH);
        Migrations.migrateAppSchema(db, SCRATCH, MigrationVersion.fromVersion(version));
        Catalog catalog = new CatalogReader(c, SCRATCH, false).read().renamed(SCRATCH, Migrations.APP_SCHEMA);
        SchemaDrop.dropIfExists(c, SCRATCH);
        return catalog;
      } finally {
        unlockQuietly(c);
      }
    }
  }

  /** Ends the turn; a broken connection has ended it already. */
  private static void unlockQuietly(Connection c) {
    try {
      lock(c, "SELECT pg_advisory_unlock(?)");
    } catch (SQLException ignored) {
      // the session is gone, and its lock with it
    }
  }

  private static void lock(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, SCRATCH_LOCK);
      ps.execute();
    }
  }
}
