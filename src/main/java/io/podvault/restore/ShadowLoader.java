package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Migrations;
import io.podvault.dump.Catalog;
import io.podvault.dump.CatalogReader;
import io.podvault.dump.Sql;
import io.podvault.restore.BackupValidator.RowRange;
import io.podvault.restore.BackupValidator.SequenceValue;
import io.podvault.restore.BackupValidator.Validated;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

  public static final String SHADOW_SCHEMA = "podvault_restore";

  /** What the loader reports; called from its worker threads. */
  public interface Listener {

    void phase(String phase, int steps, long rows);

    void tableStarted(String table, long rows);

    void rowsDone(String table, long delta);

    void tableFinished(String table);
  }

  private static final int COPY_CHUNK_BYTES = 256 * 1024;
  /** Side by side: two cores, so two loading and two indexing connections keep both busy. */
  private static final int PARALLEL = 2;

  private final DbCoordinates db;
  private final Path file;
  private final Validated backup;
  private final Listener listener;
  private final List<Connection> open = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Catalog shadow;

  public ShadowLoader(DbCoordinates db, Path file, Validated backup, Listener listener) {
    this.db = db;
    this.file = file;
    this.backup = backup;
    this.listener = listener;
  }

  /** Loads everything into the shadow schema; afterwards it holds the backup at the current schema version. */
  public void load() throws SQLException, IOException, InvalidBackupException {
    try (Connection c = connect()) {
      drop(c);
    }
    Migrations.migrateAppSchema(db, SHADOW_SCHEMA, MigrationVersion.fromVersion(backup.header().schemaVersion()));
    List<Rebuild> rebuild;
    try (Connection c = connect()) {
      shadow = new CatalogReader(c, SHADOW_SCHEMA).read();
      rebuild = dropConstraintsAndIndexes(c);
    }
    copyRows();
    buildConstraintsAndIndexes(rebuild);
    setSequences();
    if (!backup.header().schemaVersion().equals(Migrations.currentVersion(db))) {
      listener.phase("migrating", 1, 0);
      Migrations.migrateAppSchema(db, SHADOW_SCHEMA, MigrationVersion.LATEST);
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

  /** Removes a shadow schema left by a failed or interrupted restore. */
  public static void drop(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SHADOW_SCHEMA + " CASCADE");
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
    try (Statement s = c.createStatement()) {
      // Foreign keys come last in the list and must go first.
      for (int i = keys.size() - 1; i >= 0; i--) {
        Catalog.Constraint constraint = keys.get(i);
        s.execute("ALTER TABLE " + Sql.qualified(SHADOW_SCHEMA, constraint.table())
          + " DROP CONSTRAINT " + Sql.ident(constraint.name()));
      }
      for (Catalog.Index index : shadow.indexes()) {
        s.execute("DROP INDEX " + Sql.qualified(SHADOW_SCHEMA, index.name()));
      }
    }
    for (Catalog.Constraint constraint : keys) {
      rebuild.add(new Rebuild(constraint.table(), "f".equals(constraint.kind()), "ALTER TABLE ONLY "
        + Sql.qualified(SHADOW_SCHEMA, constraint.table()) + " ADD CONSTRAINT " + Sql.ident(constraint.name()) + " "
        + constraint.definition()));
    }
    int foreignKeysAt = (int) rebuild.stream().filter(r -> !r.foreignKey()).count();
    for (Catalog.Index index : shadow.indexes()) {
      rebuild.add(foreignKeysAt++, new Rebuild(index.table(), false, index.definition()));
    }
    return rebuild;
  }

  /** A statement that rebuilds a constraint or index after the rows are in, and the table it builds on. */
  private record Rebuild(String table, boolean foreignKey, String sql) {
  }

  private void copyRows() throws SQLException, IOException {
    Map<String, RowRange> ranges = backup.rows();
    listener.phase("loading", ranges.size(), backup.header().totalRows());
    ConcurrentLinkedQueue<Catalog.Table> queue = new ConcurrentLinkedQueue<>(shadow.tables().stream()
      .sorted(Comparator.comparingLong((Catalog.Table t) -> ranges.get(t.name()).end() - ranges.get(t.name()).start()).reversed())
      .toList());
    runInParallel(() -> {
      try (Connection c = connect(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        Catalog.Table table;
        while ((table = queue.poll()) != null) {
          copyTable(c, channel, table, ranges.get(table.name()));
        }
      }
      return null;
    });
  }

  /** One table's rows, straight from the file into COPY, in its own transaction with FREEZE. */
  private void copyTable(Connection c, FileChannel channel, Catalog.Table table, RowRange range)
    throws SQLException, IOException {
    listener.tableStarted(table.name(), range.rows());
    String name = Sql.qualified(SHADOW_SCHEMA, table.name());
    String columns = String.join(", ", table.copyColumns().stream().map(col -> Sql.ident(col.name())).toList());
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
    try {
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
    listener.rowsDone(table.name(), range.rows() - rowsReported);
    listener.tableFinished(table.name());
  }

  private void buildConstraintsAndIndexes(List<Rebuild> statements) throws SQLException, IOException {
    listener.phase("indexing", statements.size(), 0);
    ConcurrentLinkedQueue<Rebuild> keysAndIndexes =
      new ConcurrentLinkedQueue<>(statements.stream().filter(r -> !r.foreignKey()).toList());
    runInParallel(() -> {
      try (Connection c = connect(); Statement s = c.createStatement()) {
        s.execute("SET maintenance_work_mem = '128MB'");
        Rebuild statement;
        while ((statement = keysAndIndexes.poll()) != null) {
          execute(s, statement);
        }
      }
      return null;
    });
    // Foreign keys lock two tables each; one connection keeps them from waiting on each other.
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (Rebuild statement : statements.stream().filter(Rebuild::foreignKey).toList()) {
        execute(s, statement);
      }
    }
  }

  private void execute(Statement s, Rebuild statement) throws SQLException {
    listener.tableStarted(statement.table(), 0);
    s.execute(statement.sql());
    listener.tableFinished(statement.table());
  }

  private void setSequences() throws SQLException {
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
      for (Map.Entry<String, SequenceValue> entry : backup.sequences().entrySet()) {
        ps.setString(1, Sql.qualified(SHADOW_SCHEMA, entry.getKey()));
        ps.setLong(2, entry.getValue().value());
        ps.setBoolean(3, entry.getValue().isCalled());
        ps.execute();
      }
    }
  }

  private interface Work {
    Void run() throws Exception;
  }

  private void runInParallel(Work work) throws SQLException, IOException {
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, r -> new Thread(r, "podvault-restore-worker"));
    try {
      List<Future<Void>> results = new ArrayList<>();
      for (int i = 0; i < PARALLEL; i++) {
        results.add(pool.submit(work::run));
      }
      for (Future<Void> result : results) {
        result.get();
      }
    } catch (ExecutionException e) {
      abort();
      Throwable cause = e.getCause();
      if (cause instanceof SQLException sql) {
        throw sql;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("the restore was interrupted");
    } finally {
      pool.shutdownNow();
    }
  }

  private Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(db.jdbcUrl(), db.jdbcProperties());
    open.add(c);
    return c;
  }
}
