package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.MadeAhead;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import io.podvault.db.Sql;
import io.podvault.dump.Catalog;
import io.podvault.dump.CatalogReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.flywaydb.core.api.MigrationVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An empty schema at the live schema's version, built by the migrations ahead of the next restore, with its keys
 * and indexes already dropped. A restore of a file at that version (every backup of this server) renames it to its
 * shadow schema and starts loading rows at once, instead of after the migrations and the drops: about a second,
 * most of a small restore's fixed cost. One per process,
 * built in the background at start and after every restore. It is only a shortcut: when it is missing, still
 * being built for too long, at another version or gone (another process's start drops leftover schemas), the
 * restore builds its own shadow as it would without it.
 */
public final class SpareShadow implements AutoCloseable {

  /** Spare schemas carry this prefix, so a start drops those a stopped process left ({@link ShadowLoader#dropLeftovers}). */
  static final String PREFIX = "podvault_spare_";
  private static final Logger LOG = LoggerFactory.getLogger(SpareShadow.class);

  private final DbCoordinates db;
  private final MadeAhead<Built> next;

  /** A spare schema, its catalog as the migrations made it, and its keys and indexes already dropped. */
  private record Built(String schema, String version, Catalog catalog) {
  }

  public SpareShadow(DbCoordinates db) {
    this.db = db;
    this.next = new MadeAhead<>("spare shadow schema", this::migrate, built -> drop(built.schema()));
  }

  /** Starts building a spare in the background, unless one is ready or being built. */
  public void build() {
    next.prepare();
  }

  private Built migrate() throws SQLException {
    String schema = PREFIX + UUID.randomUUID().toString().replace("-", "");
    String version = Migrations.currentVersion(db);
    try (Connection c = Connections.open(db)) {
      Migrations.migrateAppSchema(db, schema, MigrationVersion.fromVersion(version));
      Catalog catalog = new CatalogReader(c, schema).read();
      Rebuilds.dropFrom(c, schema, catalog);
      return new Built(schema, version, catalog);
    } catch (SQLException | RuntimeException e) {
      drop(schema);
      throw e;
    }
  }

  /**
   * Renames the spare to {@code schema} when it is at {@code version}, waiting for it if it is still being built
   * (that is sooner than building another), and returns what rebuilds its keys and indexes: {@code schema} then
   * holds the bare tables of that version, with their migration history. Null when the caller must build them
   * itself.
   */
  Rebuilds claim(Connection c, String schema, String version) {
    Built spare = next.take();
    if (spare == null) {
      return null;
    }
    if (!spare.version().equals(version)) {
      drop(spare.schema());
      return null;
    }
    try {
      // One transaction: the schema and its history move together or not at all.
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("ALTER SCHEMA " + Sql.ident(spare.schema()) + " RENAME TO " + Sql.ident(schema));
        s.execute("ALTER TABLE " + Sql.qualified(Migrations.INTERNAL_SCHEMA, Migrations.historyTable(spare.schema()))
          + " RENAME TO " + Sql.ident(Migrations.historyTable(schema)));
      }
      c.commit();
    } catch (SQLException e) {
      Connections.rollbackQuietly(c);
      LOG.info("The spare shadow schema could not be used ({}); this restore builds its own", e.getMessage());
      drop(spare.schema());
      return null;
    } finally {
      try {
        c.setAutoCommit(true);
      } catch (SQLException ignored) {
        // a broken connection: the restore's next statement on it fails and says why
      }
    }
    return Rebuilds.renamed(spare.schema(), schema, spare.catalog());
  }

  /** Drops the spare, waiting for a build under way, and builds no more. */
  @Override
  public void close() {
    next.close();
  }

  private void drop(String schema) {
    try (Connection c = Connections.open(db)) {
      SchemaDrop.dropIfExists(c, schema);
    } catch (SQLException e) {
      LOG.warn("Could not drop spare shadow schema {} (the next start will): {}", schema, e.getMessage());
    }
  }
}
