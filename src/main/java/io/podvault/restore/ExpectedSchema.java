package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.dump.BackupFormat;
import io.podvault.dump.Catalog;
import io.podvault.dump.CatalogReader;
import io.podvault.dump.SchemaScript;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.flywaydb.core.api.MigrationVersion;

/**
 * podvault's own schema at a given version, and the exact statements a backup of that version holds. The
 * current version is read from the live schema; an older one is built by the migrations in a scratch
 * schema, read and dropped again. The validator compares a file's statements with these byte for byte.
 */
public final class ExpectedSchema {

  public static final String SCRATCH_SCHEMA = "podvault_scratch";

  private final Catalog catalog;
  private final SchemaScript script;

  private ExpectedSchema(Catalog catalog, String schema) {
    this.catalog = catalog;
    this.script = new SchemaScript(catalog, schema);
  }

  /** The schema at {@code version}; refuses versions this server does not have or has not reached. */
  public static ExpectedSchema at(DbCoordinates db, String version) throws InvalidBackupException, SQLException {
    String current = Migrations.currentVersion(db);
    MigrationVersion wanted;
    try {
      wanted = MigrationVersion.fromVersion(version);
    } catch (RuntimeException e) {
      throw new InvalidBackupException("the backup names schema version '" + version + "', which is not a version");
    }
    int order = wanted.compareTo(MigrationVersion.fromVersion(current));
    if (order > 0) {
      throw new InvalidBackupException("this backup was made at schema version " + version
        + ", newer than this server's schema version " + current + "; upgrade podvault before restoring it");
    }
    if (!Migrations.knownVersions(db).contains(wanted.getVersion())) {
      throw new InvalidBackupException("this backup names schema version " + version + ", which podvault never had");
    }
    try (Connection c = Connections.open(db)) {
      if (order == 0) {
        return new ExpectedSchema(new CatalogReader(c, Migrations.APP_SCHEMA).read(), Migrations.APP_SCHEMA);
      }
      dropScratch(c);
      try {
        Migrations.migrateAppSchema(db, SCRATCH_SCHEMA, wanted);
        return new ExpectedSchema(new CatalogReader(c, SCRATCH_SCHEMA).read(), Migrations.APP_SCHEMA);
      } finally {
        dropScratch(c);
      }
    }
  }

  private static void dropScratch(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCRATCH_SCHEMA + " CASCADE");
    }
  }

  public Catalog catalog() {
    return catalog;
  }

  public SchemaScript script() {
    return script;
  }

  /** Everything between the header and the first COPY: session settings, then the schema. */
  public String preamble() {
    return "\n" + publicNames(SchemaScript.text(BackupFormat.PROLOGUE) + SchemaScript.text(script.preData()));
  }

  public String postData() {
    return publicNames(SchemaScript.text(script.postData()));
  }

  public List<Catalog.Table> tables() {
    return catalog.tables();
  }

  /** Definitions read from the scratch schema name it; the file names the application schema. */
  private static String publicNames(String text) {
    return text.replace(SCRATCH_SCHEMA + ".", Migrations.APP_SCHEMA + ".");
  }
}
