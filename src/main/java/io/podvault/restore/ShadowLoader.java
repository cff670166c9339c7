package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import io.podvault.db.Sql;
import io.podvault.dump.Catalog;
import io.podvault.dump.CatalogReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.api.MigrationVersion;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Builds the restored data in a shadow schema, invisible to the running server: the schema comes from
 * podvault's own migrations at the backup's version, the rows go in through COPY straight from the
 * validated file (no SQL text from the upload is ever executed), then constraints and indexes are built,
 * sequences set and older versions migrated forward. A failure drops the shadow schema and nothing else.
 */
public final class ShadowLoader {

  /** Each restore loads into a schema of its own, so no process can ever swap in another job's rows. */
  private static final String SCHEMA_PREFIX = "podvault_restore_";

  /** What the loader reports; called from its worker threads. */
  public interface Listener {

    void phase(Phase phase, int steps, long rows);

    void tableStarted(String table, long rows);

    void rowsDone(String table, long delta);

    void tableFinished(String table);
  }

  /**
   * How many connections load, index and validate side by side, and the sort memory of each, in MB: set by
   * {@code restore_workers} and {@code restore_sort_memory_mb}.
   */
  public record Workers(int connections, int sortMemoryMb) {
  }

  private static final int COPY_CHUNK_BYTES = 256 * 1024;

  private final DbCoordinates db;
  private final String schema;
  private final Path file;
  private final LoadPlan backup;
  private final Listener listener;
  private final Workers workers;
  private final List<Connection> open = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Catalog shadow;
  /** Set once every table is in: key and index builds then report as steps of the indexing phase. */
  private volatile boolean indexing;

  public ShadowLoader(DbCoordinates db, UUID job, Path file, LoadPlan backup, Workers workers, Listener listener) {
    this.db = db;
    this.workers = workers;
    this.schema = schemaOf(job);
    this.file = file;
    this.backup = backup;
    this.listener = listener;
  }

  /** The shadow schema of a restore job. */
  public static String schemaOf(UUID job) {
    return SCHEMA_PREFIX + job.toString().replace("-", "");
  }

  public String schema() {
    return schema;
  }

  /** Loads everything into the shadow schema; afterwards it holds the backup at the current schema version. */
  public void load() throws SQLException, IOException, InvalidBackupException {
    try (Connection c = connect()) {
      drop(c);
    }
    Migrations.migrateAppSchema(db, schema, MigrationVersion.fromVersion(backup.schemaVersion()));
    List<Rebuild> rebuild;
    try (Connection c = connect()) {
      shadow = new CatalogReader(c, schema).read();
      rebuild = dropConstraintsAndIndexes(c);
    }
    loadAndIndex(rebuild.stream().filter(r -> r.foreignKey() == null).toList());
    addForeignKeys(rebuild.stream().filter(r -> r.foreignKey() != null).toList());
    setSequences();
    if (!backup.schemaVersion().equals(Migrations.currentVersion(db))) {
      listener.phase(Phase.MIGRATING, 1, 0);
      Migrations.migrateAppSchema(db, schema, MigrationVersion.LATEST);
    }
  }

  /** Stops a running load from another thread: its connections are closed under it. */
  public void abort() {
    for (Connection c : open) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }

  /** Removes this restore's shadow schema, after a failure. */
  public void drop(Connection c) throws SQLException {
    SchemaDrop.dropIfExists(c, schema);
  }

  /** Removes the shadow schemas of restores that a stopped server left; call only under the job lock. */
  public static void dropLeftovers(Connection c) throws SQLException {
    List<String> leftovers = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?)")) {
      ps.setString(1, SCHEMA_PREFIX);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          leftovers.add(rs.getString(1));
        }
      }
    }
    for (String leftover : leftovers) {
      SchemaDrop.dropIfExists(c, leftover);
    }
  }

  /**
   * Drops the migrations' keys and indexes so rows load into bare tables, returning the statements that
   * rebuild them: keys and indexes first, foreign keys last, as pg_dump orders them. Check constraints stay,
   * as pg_dump keeps them in CREATE TABLE: they cost little per row, and re-creating one from its printed
   * form can change how PostgreSQL stores it.
   */
  private List<Rebuild> dropConstraintsAndIndexes(Connection c) throws SQLException {
    List<Catalog.Constraint> keys = shadow.constraints().stream().filter(k -> !"c".equals(k.kind())).toList();
    List<Rebuild> rebuild = new ArrayList<>();
    // One transaction: one commit to wait for instead of one per statement.
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      // Foreign keys come last in the list and must go first.
      for (int i = keys.size() - 1; i >= 0; i--) {
        Catalog.Constraint constraint = keys.get(i);
        s.execute("ALTER TABLE " + Sql.qualified(schema, constraint.table())
          + " DROP CONSTRAINT " + Sql.ident(constraint.name()));
      }
      for (Catalog.Index index : shadow.indexes()) {
        s.execute("DROP INDEX " + Sql.qualified(schema, index.name()));
      }
    }
    c.commit();
    for (Catalog.Constraint constraint : keys) {
      rebuild.add(new Rebuild(constraint.table(), "f".equals(constraint.kind()) ? constraint.name() : null,
        "ALTER TABLE ONLY " + Sql.qualified(schema, constraint.table()) + " ADD CONSTRAINT "
          + Sql.ident(constraint.name()) + " " + constraint.definition()));
    }
    int foreignKeysAt = (int) rebuild.stream().filter(r -> r.foreignKey() == null).count();
    for (Catalog.Index index : shadow.indexes()) {
      rebuild.add(foreignKeysAt++, new Rebuild(index.table(), null, index.definition()));
    }
    return rebuild;
  }

  /**
   * A statement that rebuilds a constraint or index after the rows are in, the table it builds on, and the
   * constraint's name when it is a foreign key.
   */
  private record Rebuild(String table, String foreignKey, String sql) {
  }

  /**
   * Loads every table, biggest first, on parallel connections; as soon as a table's rows are in, its keys
   * and indexes are built, beside the tables still loading. A table the file holds no rows for is left empty.
   * Progress shows the loading phase until the last table is in, then the indexing phase for what is left.
   */
  private void loadAndIndex(List<Rebuild> keysAndIndexes) throws SQLException, IOException {
    Map<String, LoadPlan.TableRows> ranges = backup.tables();
    listener.phase(Phase.LOADING, ranges.size(), backup.totalRows());
    Map<String, List<Rebuild>> byTable = new HashMap<>();
    for (Rebuild rebuild : keysAndIndexes) {
      byTable.computeIfAbsent(rebuild.table(), t -> new ArrayList<>()).add(rebuild);
    }
    AtomicInteger tablesLeft = new AtomicInteger(shadow.tables().size());
    AtomicInteger buildsLeft = new AtomicInteger(keysAndIndexes.size());
    List<ParallelSteps.Step> loads = shadow.tables().stream()
      .sorted(Comparator.comparingLong((Catalog.Table t) -> ranges.containsKey(t.name()) ? ranges.get(t.name()).bytes() : 0)
        .reversed())
      .<ParallelSteps.Step>map(table -> c -> {
        if (ranges.containsKey(table.name())) {
          copyTable(c, table, ranges.get(table.name()));
        }
        if (tablesLeft.decrementAndGet() == 0) {
          indexing = true;
          listener.phase(Phase.INDEXING, buildsLeft.get(), 0);
        }
        return byTable.getOrDefault(table.name(), List.of()).stream()
          .<ParallelSteps.Step>map(rebuild -> connection -> {
            build(connection, rebuild, indexing);
            buildsLeft.decrementAndGet();
            return List.of();
          })
          .toList();
      })
      .toList();
    ParallelSteps.run(workers.connections(), connections(), loads);
  }

  /**
   * Foreign keys last, as pg_dump orders them, but checked side by side: each is added NOT VALID (no scan,
   * all in one transaction), then validated, which locks its tables only against changes, so tables are
   * checked in parallel. The result is the same valid constraint a plain ADD makes.
   */
  private void addForeignKeys(List<Rebuild> foreignKeys) throws SQLException, IOException {
    listener.phase(Phase.INDEXING, foreignKeys.size(), 0);
    Map<String, List<Rebuild>> toValidate = new LinkedHashMap<>();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (Rebuild foreignKey : foreignKeys) {
        if (foreignKey.sql().endsWith(" NOT VALID")) {
          s.execute(foreignKey.sql());
        } else {
          s.execute(foreignKey.sql() + " NOT VALID");
          toValidate.computeIfAbsent(foreignKey.table(), t -> new ArrayList<>()).add(foreignKey);
        }
      }
      c.commit();
    }
    List<ParallelSteps.Step> validations = toValidate.entrySet().stream()
      .sorted(Comparator.comparingLong((Map.Entry<String, List<Rebuild>> e) -> backup.rowsOf(e.getKey())).reversed())
      .<ParallelSteps.Step>map(table -> c -> {
        for (Rebuild foreignKey : table.getValue()) {
          build(c, new Rebuild(foreignKey.table(), foreignKey.foreignKey(), "ALTER TABLE ONLY "
            + Sql.qualified(schema, foreignKey.table()) + " VALIDATE CONSTRAINT " + Sql.ident(foreignKey.foreignKey())), true);
        }
        return List.of();
      })
      .toList();
    ParallelSteps.run(workers.connections(), connections(), validations);
  }

  /**
   * One table's rows, straight from the file into COPY, in its own transaction with FREEZE; columns the file
   * does not fill take their defaults.
   */
  private void copyTable(Connection c, Catalog.Table table, LoadPlan.TableRows range) throws SQLException, IOException {
    listener.tableStarted(table.name(), range.rows());
    String name = Sql.qualified(schema, table.name());
    String columns = String.join(", ", range.columns().stream().map(Sql::ident).toList());
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      // Emptied in this transaction, so COPY may write the rows already frozen.
      s.execute("TRUNCATE " + name);
    }
    CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + name + " (" + columns + ") FROM STDIN WITH (FREEZE)");
    ByteBuffer buffer = ByteBuffer.allocate(COPY_CHUNK_BYTES);
    long total = range.end() - range.start();
    long done = 0;
    long rowsReported = 0;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (done < total) {
        buffer.clear().limit((int) Math.min(COPY_CHUNK_BYTES, total - done));
        int n = channel.read(buffer, range.start() + done);
        if (n < 0) {
          throw new IOException("the stored upload ended early; was it changed on disk?");
        }
        copy.writeToCopy(buffer.array(), 0, n);
        done += n;
        long rowsNow = range.rows() * done / Math.max(1, total);
        listener.rowsDone(table.name(), rowsNow - rowsReported);
        rowsReported = rowsNow;
      }
      long loaded = copy.endCopy();
      if (loaded != range.rows()) {
        throw new SQLException("table " + table.name() + " loaded " + loaded + " rows where the backup holds " + range.rows());
      }
    } finally {
      if (copy.isActive()) {
        copy.cancelCopy();
      }
    }
    c.commit();
    c.setAutoCommit(true);
    listener.rowsDone(table.name(), range.rows() - rowsReported);
    listener.tableFinished(table.name());
  }

  /** Runs one rebuild statement; {@code report} shows it as a step of the indexing phase. */
  private void build(Connection c, Rebuild statement, boolean report) throws SQLException {
    if (report) {
      listener.tableStarted(statement.table(), 0);
    }
    try (Statement s = c.createStatement()) {
      s.execute(statement.sql());
    }
    if (report) {
      listener.tableFinished(statement.table());
    }
  }

  /** Connections for the parallel steps, each closed under its step when the load is aborted. */
  private ParallelSteps.Connections connections() {
    return new ParallelSteps.Connections() {
      @Override
      public Connection open() throws SQLException {
        return connect();
      }

      @Override
      public void abort() {
        ShadowLoader.this.abort();
      }
    };
  }

  private void setSequences() throws SQLException {
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
      for (Map.Entry<String, LoadPlan.SequenceValue> entry : backup.sequences().entrySet()) {
        ps.setString(1, Sql.qualified(schema, entry.getKey()));
        ps.setLong(2, entry.getValue().value());
        ps.setBoolean(3, entry.getValue().isCalled());
        ps.execute();
      }
    }
  }

  /** A loader connection ({@link Connections#openLoader} says why its commits do not wait for the disk). */
  private Connection connect() throws SQLException {
    Connection c = Connections.openLoader(db, workers.sortMemoryMb());
    open.add(c);
    return c;
  }
}
