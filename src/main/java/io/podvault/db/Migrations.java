package io.podvault.db;

import io.podvault.config.DbCoordinates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schema migrations, run by Flyway. The application schema (PinePods' tables) is built from {@code db/schema}
 * into any schema name, so a restore can build the schema of a backup's version in a shadow schema; podvault's
 * own tables come from {@code db/internal} into schema {@code podvault}, which backups never touch.
 *
 * <p>Every history table lives in schema {@code podvault}, one per application schema ({@link #historyTable}),
 * so that {@code public} holds PinePods' tables and nothing else, and a PinePods database podvault adopts keeps
 * exactly PinePods' schema. Flyway keeps its history table in its default schema and puts that schema first in
 * the search path of the migrations, so the default schema is {@code podvault} and a callback sets the search
 * path to the application schema at the start of each migration's transaction (measured with Flyway 13 on
 * PostgreSQL: the callback runs on the migration's connection, after Flyway's own search path). The migration
 * files stay as they were, and so do their checksums. Flyway refuses to create a history table in a schema that
 * already holds tables (here {@code podvault}'s own) unless it baselines, so a new history table starts with a
 * baseline at version 0, below every migration.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  public static final String APP_SCHEMA = "public";
  public static final String INTERNAL_SCHEMA = "podvault";
  /** Where releases before this layout kept the application schema's history: in {@code public} itself. */
  private static final String OLD_HISTORY_TABLE = "podvault_schema_history";
  /** "pvmigrat" in ASCII: one process at a time decides the layout and migrates at start. */
  private static final long START_LOCK = 0x70766d6967726174L;

  private static final String HAS_TABLE = "SELECT to_regclass(?) IS NOT NULL";
  private static final String APP_RELATIONS =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = '" + APP_SCHEMA + "' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY c.relname";

  /** PinePods' own migration ledger, which the data model includes: what the log says about the adopted database. */
  private static final String PINEPODS_LEDGER = "SELECT 'PinePods migrations recorded: ' || count(*) || ', newest '"
    + " || coalesce(max(version), 'none') FROM " + Sql.qualified(APP_SCHEMA, "schema_migrations");

  private static List<String> knownVersions;

  private Migrations() {
  }

  /**
   * What podvault finds in {@code public} of a database without its history: tables and a check that says
   * whether they are PinePods' and which differences there are; an empty list adopts them.
   */
  @FunctionalInterface
  public interface ForeignSchemaCheck {
    List<String> differences(List<String> tables) throws SQLException;
  }

  /** The application schema's history table, in schema {@code podvault}. */
  public static String historyTable(String schema) {
    return "history_" + schema;
  }

  /** The newest successful versioned migration of {@code schema}, as Flyway records it. */
  public static String currentVersionQuery(String schema) {
    return "SELECT version FROM " + Sql.qualified(INTERNAL_SCHEMA, historyTable(schema))
      + " WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1";
  }

  /**
   * Brings both schemas to the newest version and returns the application schema's version. A database whose
   * {@code public} holds tables without podvault's history is adopted when {@code check} finds no difference, by
   * recording the newest version as its baseline; otherwise the start is refused with the differences. A database
   * of the earlier layout (the history table in {@code public}) has it moved to schema {@code podvault} first.
   */
  public static String migrate(DbCoordinates db, ForeignSchemaCheck check) {
    try (Connection c = Connections.open(db)) {
      advisory(c, "SELECT pg_advisory_lock(?)");
      try {
        flyway(db, INTERNAL_SCHEMA, "db/internal", "flyway_schema_history", MigrationVersion.LATEST).load().migrate();
        if (!exists(c, HAS_TABLE, Sql.qualified(INTERNAL_SCHEMA, historyTable(APP_SCHEMA)))) {
          prepareHistory(db, c, check);
        }
        MigrateResult result = migrateAppSchema(db, APP_SCHEMA, MigrationVersion.LATEST);
        String version = currentVersion(db);
        LOG.info("Schema is at version {} ({} migrations applied now)", version, result.migrationsExecuted);
        return version;
      } finally {
        advisory(c, "SELECT pg_advisory_unlock(?)");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the schema cannot be migrated: " + e.getMessage(), e);
    }
  }

  /** Gives {@code public} its history table in schema podvault: moved, adopted, or left for Flyway to create. */
  private static void prepareHistory(DbCoordinates db, Connection c, ForeignSchemaCheck check) throws SQLException {
    if (exists(c, HAS_TABLE, Sql.qualified(APP_SCHEMA, OLD_HISTORY_TABLE))) {
      moveOldHistory(c);
      return;
    }
    List<String> tables = strings(c, APP_RELATIONS);
    if (tables.isEmpty()) {
      return;
    }
    List<String> differences = check.differences(tables);
    if (!differences.isEmpty()) {
      throw new SchemaRefusedException(differences);
    }
    String version = latestVersion(db);
    flyway(db, APP_SCHEMA, "db/schema", historyTable(APP_SCHEMA), MigrationVersion.LATEST).baselineVersion(version)
      .baselineDescription("adopted an existing PinePods database").load().baseline();
    LOG.info("Adopted the existing PinePods tables in schema {} ({}) as podvault's schema version {}; they are left as "
      + "they are, and podvault's own records are kept in schema {}", APP_SCHEMA, strings(c, PINEPODS_LEDGER).get(0),
      version, INTERNAL_SCHEMA);
  }

  /** One transaction: the history either is still in {@code public} or has arrived in schema podvault. */
  private static void moveOldHistory(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("ALTER TABLE " + Sql.qualified(APP_SCHEMA, OLD_HISTORY_TABLE) + " SET SCHEMA " + Sql.ident(INTERNAL_SCHEMA));
      s.execute("ALTER TABLE " + Sql.qualified(INTERNAL_SCHEMA, OLD_HISTORY_TABLE) + " RENAME TO "
        + Sql.ident(historyTable(APP_SCHEMA)));
      c.commit();
    } catch (SQLException | RuntimeException e) {
      Connections.rollbackQuietly(c);
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
    LOG.info("Moved the schema history from {}.{} to {}.{}, so that schema {} holds PinePods' tables only", APP_SCHEMA,
      OLD_HISTORY_TABLE, INTERNAL_SCHEMA, historyTable(APP_SCHEMA), APP_SCHEMA);
  }

  /** Builds or moves the application schema in {@code schema} up to {@code target}. */
  public static MigrateResult migrateAppSchema(DbCoordinates db, String schema, MigrationVersion target) {
    // Asked first: CREATE SCHEMA checks the right to create schemas even when the schema exists, and the role may
    // lack it on a database it does not own.
    try (Connection c = Connections.open(db)) {
      if (!exists(c, "SELECT to_regnamespace(?) IS NOT NULL", Sql.ident(schema))) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE SCHEMA " + Sql.ident(schema));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("schema " + schema + " cannot be created: " + e.getMessage(), e);
    }
    return flyway(db, schema, "db/schema", historyTable(schema), target).load().migrate();
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
      // Entries without a version, and baselines, are Flyway's own bookkeeping rather than migrations.
      knownVersions = Arrays.stream(flyway(db, APP_SCHEMA, "db/schema", historyTable(APP_SCHEMA), MigrationVersion.LATEST)
          .load().info().all())
        // Only this build's own: a newer podvault's migrations applied to the database are not known here.
        .filter(m -> m.getVersion() != null && !m.getType().isBaseline() && m.getState().isResolved())
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
         ResultSet rs = s.executeQuery(currentVersionQuery(APP_SCHEMA))) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException("the schema version cannot be read: " + e.getMessage(), e);
    }
  }

  /** Flyway for one schema; a history table it has to create in a schema that holds tables starts at baseline 0. */
  private static FluentConfiguration flyway(DbCoordinates db, String schema, String location, String table,
                                            MigrationVersion target) {
    boolean app = !INTERNAL_SCHEMA.equals(schema);
    return Flyway.configure()
      .dataSource(Connections.dataSource(db))
      .locations("classpath:" + location)
      .schemas(INTERNAL_SCHEMA)
      .defaultSchema(INTERNAL_SCHEMA)
      .createSchemas(true)
      .table(table)
      .target(target)
      .callbacks(app ? new Callback[] {new SearchPath(schema)} : new Callback[0])
      .baselineOnMigrate(true)
      .baselineVersion("0")
      .baselineDescription("history started")
      .cleanDisabled(true);
  }

  /** Points each application migration at its schema, inside the migration's own transaction. */
  private record SearchPath(String schema) implements Callback {
    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true;
    }

    @Override
    public void handle(Event event, Context context) {
      try (Statement s = context.getConnection().createStatement()) {
        s.execute("SET LOCAL search_path TO " + Sql.ident(schema));
      } catch (SQLException e) {
        throw new IllegalStateException("the search path cannot be set to schema " + schema + ": " + e.getMessage(), e);
      }
    }

    @Override
    public String getCallbackName() {
      return "search path " + schema;
    }
  }

  private static boolean exists(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static List<String> strings(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      List<String> result = new ArrayList<>();
      while (rs.next()) {
        result.add(rs.getString(1));
      }
      return result;
    }
  }

  private static void advisory(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, START_LOCK);
      ps.execute();
    }
  }
}
