package io.podvault.restore;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.db.Migrations;
import io.podvault.db.SchemaDrop;
import io.podvault.db.Sql;
import io.podvault.dump.CatalogReader;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.flywaydb.core.api.MigrationVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the restored data in a shadow schema, invisible to the running server, while the file still arrives:
 * the schema comes from podvault's own migrations at the file's version as soon as the validator knows it,
 * each table's rows go in through COPY straight from the stored file, up to where the validator has checked
 * them (no SQL text from the upload is ever executed), its keys and indexes are built as soon as its rows are
 * in, and its foreign keys as soon as the tables they join are ready. {@link #finish} then waits for what is
 * left, sets the sequences and migrates older versions forward. A failure drops the shadow schema and
 * nothing else.
 */
public final class ShadowLoader implements CheckedRows {

  /** Each restore loads into a schema of its own, so no process can ever swap in another job's rows. */
  private static final String SCHEMA_PREFIX = "podvault_restore_";
  private static final Logger LOG = LoggerFactory.getLogger(ShadowLoader.class);
  private static final int SLOWEST_LOGGED = 5;
  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final String LEFTOVER_LOCK_WAIT = "5s";

  /** What the loader reports once the file has been checked; called from its worker threads. */
  public interface Listener {

    void phase(Phase phase, int steps, long rows);

    void tableStarted(String table, long rows);

    void rowsDone(String table, long delta);

    void tableFinished(String table);

    /** Loading has failed while the file may still arrive: {@link #loadFailure} says why. */
    void loadFailed();
  }

  /**
   * How many connections load, index and validate side by side, and the sort memory of each, in MB: set by
   * {@code restore_workers} and {@code restore_sort_memory_mb}.
   */
  public record Workers(int connections, int sortMemoryMb) {
  }

  private final DbCoordinates db;
  private final String schema;
  /** The file the rows are read from, known once the file's first bytes are ({@link StoredUpload#contentFile}). */
  private final Supplier<Path> file;
  private final Listener listener;
  private final Workers workers;
  private final SpareShadow spare;
  /** How long a table's load waits for the validator to check more of it before giving up. */
  private final long stallMillis;
  private final List<Connection> open = new CopyOnWriteArrayList<>();
  private final Map<String, TableLoad> loads = new LinkedHashMap<>();
  /** Tables whose rows began before the shadow schema was ready; their loads start when it is. */
  private final List<TableLoad> waiting = new ArrayList<>();
  private ParallelSteps steps;
  private String schemaVersion;
  private Rebuilds rebuilds;
  /** The table the validator is in; its thread only. */
  private TableLoad current;
  /** Set once the file has passed: loads and builds then show their progress. */
  private boolean reporting;
  private int tablesLoading;
  private boolean indexing;
  /** Key, index and foreign key statements not yet run, for the indexing phase's total. */
  private int statementsLeft;
  private final Object foreignKeyLock = new Object();
  private final List<Timing> timings = new CopyOnWriteArrayList<>();

  public ShadowLoader(DbCoordinates db, UUID job, Supplier<Path> file, Workers workers, SpareShadow spare, long stallMillis,
                      Listener listener) {
    this.db = db;
    this.workers = workers;
    this.spare = spare;
    this.schema = schemaOf(job);
    this.file = file;
    this.stallMillis = stallMillis;
    this.listener = listener;
  }

  /** The shadow schema of a restore job. */
  public static String schemaOf(UUID job) {
    return SCHEMA_PREFIX + job.toString().replace("-", "");
  }

  public String schema() {
    return schema;
  }

  @Override
  public synchronized void schemaKnown(String version) {
    schemaVersion = version;
    steps = new ParallelSteps(workers.connections(), new ParallelSteps.Connections() {
      @Override
      public Connection open() throws SQLException {
        return connect();
      }

      @Override
      public void abort() {
        closeConnections();
      }
    }, listener::loadFailed);
    steps.submit(this::prepare);
  }

  @Override
  public synchronized void tableBegins(String table, List<String> columns, long start) {
    current = new TableLoad(table, columns, start);
    loads.put(table, current);
    if (rebuilds == null) {
      waiting.add(current);
    } else {
      steps.submit(load(current));
    }
  }

  @Override
  public void checkedUpTo(long end) throws IOException, InvalidBackupException {
    current.checked.advance(end);
    Exception failure = loadFailure();
    if (failure instanceof InvalidBackupException invalid) {
      throw invalid;
    }
    if (failure != null) {
      throw (LoadFailedException) failure;
    }
  }

  @Override
  public void tableEnds(long end, long rows) {
    synchronized (this) {
      current.end = end;
      current.rows = rows;
    }
    current.checked.end(end);
  }

  /**
   * Why loading failed, as the check sees it, or null while it has not: a row PostgreSQL refuses (a value its
   * column cannot hold, a duplicate key) makes the file invalid ({@link InvalidBackupException}); anything else
   * is the database's failure ({@link LoadFailedException}).
   */
  public synchronized Exception loadFailure() {
    Exception failure = steps == null ? null : steps.failure();
    if (failure == null) {
      return null;
    }
    if (failure instanceof SQLException sql && sql.getSQLState() != null
      && (sql.getSQLState().startsWith("22") || sql.getSQLState().startsWith("23"))) {
      return new InvalidBackupException("the file is damaged: PostgreSQL refused its rows of " + sql.getMessage()
        + "; nothing was changed");
    }
    return new LoadFailedException(failure);
  }

  /**
   * Waits for the rest of the work once the whole file has passed: tables still loading, keys, indexes and
   * foreign keys still to build; then sets the sequences and migrates an older version forward. Afterwards the
   * shadow schema holds the backup at the current schema version.
   */
  public void finish(LoadPlan plan) throws SQLException, IOException {
    ParallelSteps running;
    synchronized (this) {
      if (steps == null) {
        schemaKnown(plan.schemaVersion());
      }
      running = steps;
      reporting = true;
      long rowsLeft = 0;
      for (TableLoad load : loads.values()) {
        if (!load.done) {
          tablesLoading++;
          load.rowsReported = load.rowsLoaded();
          rowsLeft += load.rows - load.rowsReported;
        }
      }
      if (tablesLoading > 0) {
        listener.phase(Phase.LOADING, tablesLoading, rowsLeft);
      } else {
        startIndexing();
      }
      if (rebuilds != null) {
        releaseEmptyTables().forEach(running::submit);
      }
    }
    running.finish();
    logSlowest();
    if (!rebuilds.foreignKeysLeft().isEmpty()) {
      throw new IllegalStateException("the foreign keys of " + rebuilds.foreignKeysLeft() + " were never added");
    }
    setSequences(plan);
    if (!schemaVersion.equals(Migrations.currentVersion(db))) {
      listener.phase(Phase.MIGRATING, 1, 0);
      Migrations.migrateAppSchema(db, schema, MigrationVersion.LATEST);
    }
  }

  /**
   * Stops the load and waits until none of its work runs any more, so that the shadow schema can be dropped;
   * {@code why} is the first failure reported, if none came before.
   */
  public void stop(Exception why) {
    ParallelSteps running;
    synchronized (this) {
      running = steps;
      loads.values().forEach(load -> load.checked.stop(why.getMessage()));
    }
    if (running != null) {
      running.abort(why);
      running.awaitStopped();
    }
  }

  /** Stops a running load from another thread (the server stopping): its connections are closed under it. */
  public void abort() {
    closeConnections();
  }

  /** Removes this restore's shadow schema, after a failure. */
  public void drop(Connection c) throws SQLException {
    SchemaDrop.dropIfExists(c, schema);
  }

  /**
   * Removes the shadow schemas of restores that a stopped server left, and spare ones ({@link SpareShadow}) but
   * those another running process is building; call only under the job lock.
   */
  public static void dropLeftovers(Connection c) throws SQLException {
    List<String> leftovers = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
      "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?) OR starts_with(nspname, ?)")) {
      ps.setString(1, SCHEMA_PREFIX);
      ps.setString(2, SpareShadow.PREFIX);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          leftovers.add(rs.getString(1));
        }
      }
    }
    try (Statement s = c.createStatement()) {
      // Another running process may be building its spare: its migrations then hold locks this drop waits for
      // while they wait for the drop's. Such a spare is no leftover; after a while it is left to its owner.
      s.execute("SET lock_timeout = '" + LEFTOVER_LOCK_WAIT + "'");
      for (String leftover : leftovers) {
        try {
          SchemaDrop.dropIfExists(c, leftover);
        } catch (SQLException e) {
          if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
            throw e;
          }
          LOG.info("Schema {} is in use by another running podvault and was left to it", leftover);
        }
      }
    } finally {
      try (Statement s = c.createStatement()) {
        s.execute("RESET lock_timeout");
      }
    }
  }

  /**
   * The first step: the shadow schema at the file's version, the spare one or built by the migrations now, with
   * its keys and indexes dropped so rows load into bare tables. Releases the loads of the tables already begun.
   */
  private List<ParallelSteps.Step> prepare(Connection c) throws SQLException {
    Rebuilds dropped = claimSpare(c);
    if (dropped == null) {
      drop(c);
      Migrations.migrateAppSchema(db, schema, MigrationVersion.fromVersion(schemaVersion));
      dropped = Rebuilds.dropFrom(c, schema, new CatalogReader(c, schema).read());
    }
    synchronized (this) {
      rebuilds = dropped;
      statementsLeft = dropped.statements();
      List<ParallelSteps.Step> released = new ArrayList<>(waiting.stream().map(this::load).toList());
      waiting.clear();
      if (reporting) {
        released.addAll(releaseEmptyTables());
      }
      return released;
    }
  }

  /** The spare shadow schema as this restore's, or null when there is none to take at the file's version. */
  private Rebuilds claimSpare(Connection c) {
    try {
      return spare.claim(c, schema, schemaVersion);
    } catch (IllegalStateException e) {
      LOG.warn("The spare shadow schema was not used: {}", e.getMessage());
      return null;
    }
  }

  /** Once the file has been checked whole: the tables it holds no rows for stay empty, and get their keys. */
  private List<ParallelSteps.Step> releaseEmptyTables() {
    return rebuilds.tables().stream().filter(table -> !loads.containsKey(table))
      .<ParallelSteps.Step>map(table -> c -> keysAndIndexes(table))
      .toList();
  }

  /** A table's load: its rows from the file into COPY as the validator checks them, then its keys and indexes. */
  private ParallelSteps.Step load(TableLoad load) {
    return c -> {
      try {
        load.copy(c, schema, file.get(), stallMillis, bytes -> copied(load, bytes));
      } catch (SQLException e) {
        throw new SQLException("table " + load.table + ": " + e.getMessage(), e.getSQLState(), e);
      }
      synchronized (this) {
        load.done = true;
        if (reporting) {
          listener.rowsDone(load.table, load.rows - load.rowsReported);
          listener.tableFinished(load.table);
          if (--tablesLoading == 0) {
            startIndexing();
          }
        }
      }
      return keysAndIndexes(load.table);
    };
  }

  private synchronized void copied(TableLoad load, long bytes) {
    load.bytesLoaded = bytes;
    if (reporting) {
      long rowsNow = load.rowsLoaded();
      listener.rowsDone(load.table, rowsNow - load.rowsReported);
      load.rowsReported = rowsNow;
    }
  }

  /** The steps that build a table's keys and indexes, or, when it has none, the foreign keys it makes ready. */
  private List<ParallelSteps.Step> keysAndIndexes(String table) {
    List<Rebuilds.Statement> statements = rebuilds.loaded(table);
    if (statements.isEmpty()) {
      return foreignKeySteps(rebuilds.built(table, null));
    }
    return statements.stream().<ParallelSteps.Step>map(statement -> c -> {
      run(c, statement.table(), List.of(statement.sql()));
      return foreignKeySteps(rebuilds.built(table, statement));
    }).toList();
  }

  private List<ParallelSteps.Step> foreignKeySteps(List<Rebuilds.ForeignKeys> ready) {
    return ready.stream().<ParallelSteps.Step>map(group -> c -> {
      // Adding takes a brief lock on both tables; one addition at a time, so two can never deadlock.
      synchronized (foreignKeyLock) {
        run(c, group.table(), group.add());
      }
      for (String validate : group.validate()) {
        run(c, group.table(), List.of(validate));
      }
      return List.of();
    }).toList();
  }

  /** Runs rebuild statements on {@code table}, shown as steps of the indexing phase once that has begun. */
  private void run(Connection c, String table, List<String> statements) throws SQLException {
    for (String sql : statements) {
      boolean shown = statementStarts();
      if (shown) {
        listener.tableStarted(table, 0);
      }
      long started = System.nanoTime();
      try (Statement s = c.createStatement()) {
        s.execute(sql);
      }
      timings.add(new Timing((System.nanoTime() - started) / 1_000_000, sql));
      if (shown) {
        listener.tableFinished(table);
      }
    }
  }

  /** How long a statement took: the slowest are logged, to show where a restore's time goes. */
  private record Timing(long millis, String sql) {
  }

  private void logSlowest() {
    List<Timing> slowest = timings.stream().sorted(Comparator.comparingLong(Timing::millis).reversed()).limit(SLOWEST_LOGGED)
      .toList();
    long total = timings.stream().mapToLong(Timing::millis).sum();
    LOG.info("Restore into {}: {} key, index and foreign key statements took {} ms on {} connections; the slowest: {}",
      schema, timings.size(), total, workers.connections(), slowest.stream()
        .map(t -> t.millis() + " ms " + t.sql().replace(Sql.ident(schema) + ".", "").replace(schema + ".", ""))
        .collect(Collectors.joining("; ")));
  }

  /** Counts a statement as run; true when it shows as a step of the indexing phase. */
  private synchronized boolean statementStarts() {
    statementsLeft--;
    return indexing;
  }

  /** Every table is in: what is left are key, index and foreign key builds. */
  private void startIndexing() {
    indexing = true;
    listener.phase(Phase.INDEXING, statementsLeft, 0);
  }

  private void setSequences(LoadPlan plan) throws SQLException {
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
      for (Map.Entry<String, LoadPlan.SequenceValue> entry : plan.sequences().entrySet()) {
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

  private void closeConnections() {
    for (Connection c : open) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }
}
