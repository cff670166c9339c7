package io.podvault.db;

import io.podvault.config.DbCoordinates;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schema migrations, run by Flyway. The application schema (PinePods' tables) is built from
 * {@code db/schema} into any schema name, so a restore can build the schema of a backup's version in a
 * shadow schema; its history table travels with it. podvault's own tables come from {@code db/internal}
 * into schema {@code podvault}, which backups never touch.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  public static final String APP_SCHEMA = "public";
  public static final String INTERNAL_SCHEMA = "podvault";
  /** The application schema's history table; it is podvault's record, never part of a backup. */
  public static final String HISTORY_TABLE = "podvault_schema_history";

  /** The newest successful versioned migration, as Flyway records it. */
  public static final String CURRENT_VERSION = "SELECT version FROM " + APP_SCHEMA + "." + HISTORY_TABLE
    + " WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1";

  private static List<String> knownVersions;

  private Migrations() {
  }

  /** Brings both schemas to the newest version and returns the application schema's version. */
  public static String migrate(DbCoordinates db) {
    flyway(db, INTERNAL_SCHEMA, "db/internal", "flyway_schema_history", MigrationVersion.LATEST).migrate();
    MigrateResult result = migrateAppSchema(db, APP_SCHEMA, MigrationVersion.LATEST);
    LOG.info("Schema is at version {} ({} migrations applied now)", result.targetSchemaVersion, result.migrationsExecuted);
    return currentVersion(db);
  }

  /** Builds or moves the application schema in {@code schema} up to {@code target}. */
  public static MigrateResult migrateAppSchema(DbCoordinates db, String schema, MigrationVersion target) {
    return flyway(db, schema, "db/schema", HISTORY_TABLE, target).migrate();
  }

  /** The newest application schema version this build knows. */
  public static String latestVersion(DbCoordinates db) {
    List<String> known = knownVersions(db);
    return known.get(known.size() - 1);
  }

  /**
   * Every application schema version the migrations define, oldest first. They are fixed in the build, so
   * they are read once.
   */
  public static synchronized List<String> knownVersions(DbCoordinates db) {
    if (knownVersions == null) {
      // Entries without a version are Flyway's own bookkeeping (the schema creation marker).
      knownVersions = Arrays.stream(flyway(db, APP_SCHEMA, "db/schema", HISTORY_TABLE, MigrationVersion.LATEST).info().all())
        .filter(m -> m.getVersion() != null)
        .map(m -> m.getVersion().getVersion())
        .distinct()
        .toList();
    }
    return knownVersions;
  }

  /** The application schema's version, straight from its history table (a restore asks more than once). */
  public static String currentVersion(DbCoordinates db) {
    try (Connection c = Connections.open(db);
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(CURRENT_VERSION)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException("the schema version cannot be read: " + e.getMessage(), e);
    }
  }

  private static Flyway flyway(DbCoordinates db, String schema, String location, String table, MigrationVersion target) {
    return Flyway.configure()
      .dataSource(Connections.dataSource(db))
      .locations("classpath:" + location)
      .schemas(schema)
      .defaultSchema(schema)
      .createSchemas(true)
      .table(table)
      .target(target)
      .cleanDisabled(true)
      .load();
  }
}
