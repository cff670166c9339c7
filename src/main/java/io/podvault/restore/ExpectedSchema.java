package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Migrations;
import io.podvault.dump.BackupFormat;
import io.podvault.dump.Catalog;
import io.podvault.dump.MigratedCatalog;
import io.podvault.dump.SchemaScript;
import java.sql.SQLException;
import java.util.List;
import org.flywaydb.core.api.MigrationVersion;

/**
 * podvault's own schema at a given version, as its migrations build it, and the exact statements a backup of
 * that version holds. The validator compares a file's statements with these byte for byte.
 */
public final class ExpectedSchema {

  private final Catalog catalog;
  private final SchemaScript script;

  private ExpectedSchema(Catalog catalog) {
    this.catalog = catalog;
    this.script = new SchemaScript(catalog, Migrations.APP_SCHEMA);
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
    if (wanted.compareTo(MigrationVersion.fromVersion(current)) > 0) {
      throw new InvalidBackupException("this backup was made at schema version " + version
        + ", newer than this server's schema version " + current + "; upgrade podvault before restoring it");
    }
    if (!Migrations.knownVersions(db).contains(wanted.getVersion())) {
      throw new InvalidBackupException("this backup names schema version " + version + ", which podvault never had");
    }
    return new ExpectedSchema(MigratedCatalog.at(db, wanted.getVersion()));
  }

  public Catalog catalog() {
    return catalog;
  }

  public SchemaScript script() {
    return script;
  }

  /** Everything between the header and the first COPY: session settings, then the schema. */
  public String preamble() {
    return "\n" + SchemaScript.text(BackupFormat.PROLOGUE) + SchemaScript.text(script.preData());
  }

  public String postData() {
    return SchemaScript.text(script.postData());
  }

  public List<Catalog.Table> tables() {
    return catalog.tables();
  }
}
