package io.podvault.job;

import static io.podvault.contract.Fields.*;

import io.podvault.contract.Addresses;
import io.podvault.contract.Fields;
import io.podvault.contract.Phase;
import io.podvault.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a job is: phase, current table, rows and tables done. Every change is published on
 * {@link Addresses#PROGRESS} (at most every {@value #PUBLISH_MILLIS} ms, and always at a table boundary,
 * a phase change and the end) and kept in the job record at most once a second and at the end.
 */
public final class JobProgress {

  private static final Logger LOG = LoggerFactory.getLogger(JobProgress.class);
  private static final long PUBLISH_MILLIS = 100;
  private static final long PERSIST_MILLIS = 1_000;
  private static final int FINISH_ATTEMPTS = 40;
  private static final long FINISH_RETRY_MILLIS = 500;

  private final Vertx vertx;
  private final JobStore store;
  private final UUID id;
  private final String kind;
  private final String startedBy;

  private String state = STATE_RUNNING;
  private Phase phase;
  private String table;
  private long tableRowsDone;
  private long tableRowsTotal;
  private long rowsDone;
  private long rowsTotal;
  private int tablesDone;
  private int tablesTotal;
  /** False while a file without row counts is checked: the totals are not known yet and show as null. */
  private boolean totalsKnown = true;
  private Long bytesDone;
  private Long bytesTotal;
  private String error;
  /** The most rows any phase counted: the rows the job moved, for its metrics. */
  private long mostRows;
  private long lastPublished;
  private long lastPersisted;
  private final long startedNanos = System.nanoTime();
  private long phaseStartedNanos = startedNanos;

  public JobProgress(Vertx vertx, JobStore store, UUID id, String kind, String startedBy, Phase phase) {
    this.vertx = vertx;
    this.store = store;
    this.id = id;
    this.kind = kind;
    this.startedBy = startedBy;
    this.phase = phase;
  }

  public UUID id() {
    return id;
  }

  /** Records the job and publishes its first event. */
  public synchronized void begin() throws SQLException {
    store.insert(id, kind, startedBy, event());
    publish(true);
  }

  /** Enters a phase with its own totals; the counters start again from zero. */
  public synchronized void phase(Phase newPhase, int tables, long rows) {
    if (newPhase != phase) {
      logPhaseTime();
    }
    phase = newPhase;
    totalsKnown = true;
    tablesTotal = tables;
    rowsTotal = rows;
    tablesDone = 0;
    rowsDone = 0;
    table = null;
    tableRowsDone = 0;
    tableRowsTotal = 0;
    publish(true);
  }

  /**
   * The file being checked has no row counts: rows are counted as they come, their totals are null, and
   * progress goes by bytes until the next phase.
   */
  public synchronized void checkingBytes() {
    totalsKnown = false;
    bytesDone = 0L;
    publish(true);
  }

  /** The size of the file, or until it has all arrived, of the request that carries it; null when unknown. */
  public synchronized void bytesTotal(Long bytes) {
    bytesTotal = bytes;
  }

  public synchronized void bytesDone(long bytes) {
    bytesDone = bytes;
    publish(false);
  }

  /** A table (or, while indexing, a statement on a table) begins; it becomes the current one shown. */
  public synchronized void tableStarted(String name, long rows) {
    table = name;
    tableRowsDone = 0;
    tableRowsTotal = rows;
    publish(true);
  }

  /** {@code delta} more rows of {@code name} are done; tables may run side by side. */
  public synchronized void rowsDone(String name, long delta) {
    rowsDone += delta;
    mostRows = Math.max(mostRows, rowsDone);
    if (name.equals(table)) {
      tableRowsDone += delta;
    }
    publish(false);
  }

  public synchronized void tableFinished(String name) {
    tablesDone++;
    if (name.equals(table)) {
      tableRowsDone = tableRowsTotal;
    }
    publish(true);
  }

  /**
   * The job could not start (another job holds the lock): it has no record, but every administrator's open page hears
   * of it as of a job that failed while starting.
   */
  public synchronized void notStarted(String why) {
    state = STATE_FAILED;
    error = why;
    vertx.eventBus().publish(Addresses.PROGRESS, event());
  }

  /** Whether the job has succeeded or failed. */
  public synchronized boolean ended() {
    return !STATE_RUNNING.equals(state);
  }

  public synchronized void succeed() {
    state = STATE_SUCCEEDED;
    finish();
  }

  public synchronized void fail(String message) {
    state = STATE_FAILED;
    error = message;
    finish();
  }

  public synchronized JsonObject event() {
    return new JsonObject()
      .put(TYPE, "job")
      .put(JOB_ID, id.toString())
      .put(KIND, kind)
      .put(STATE, state)
      .put(PHASE, phase.wireName())
      .put(PHASE_TEXT, phase.text())
      .put(PHASE_STEPS, phase.steps())
      .put(TABLE, table)
      .put(TABLE_ROWS_DONE, tableRowsDone)
      .put(TABLE_ROWS_TOTAL, totalsKnown ? tableRowsTotal : null)
      .put(ROWS_DONE, rowsDone)
      .put(ROWS_TOTAL, totalsKnown ? rowsTotal : null)
      .put(TABLES_DONE, tablesDone)
      .put(TABLES_TOTAL, totalsKnown ? tablesTotal : null)
      .put(BYTES_DONE, bytesDone)
      .put(BYTES_TOTAL, bytesTotal)
      .put(STARTED_BY, startedBy)
      .put(ERROR, error);
  }

  /** Records and announces the end; a database that is restarting gets a little while to come back. */
  private void finish() {
    logPhaseTime();
    long took = System.nanoTime() - startedNanos;
    LOG.info("{} {} {} after {} ms", kind, id, state, took / 1_000_000);
    Metrics.jobEnded(kind, state, Duration.ofNanos(took), mostRows);
    JsonObject event = event();
    vertx.eventBus().publish(Addresses.PROGRESS, event);
    for (int attempt = 1; ; attempt++) {
      try {
        store.finish(id, state, error, event);
        return;
      } catch (SQLException e) {
        if (attempt == FINISH_ATTEMPTS) {
          LOG.warn("Could not record the end of job {} (the next start marks it failed): {}", id, e.getMessage());
          return;
        }
        try {
          Thread.sleep(FINISH_RETRY_MILLIS);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** How long each phase took, in the log: where an administrator (or a benchmark) sees the time go. */
  private void logPhaseTime() {
    long now = System.nanoTime();
    LOG.info("{} {}: {} took {} ms", kind, id, phase.wireName(), (now - phaseStartedNanos) / 1_000_000);
    phaseStartedNanos = now;
  }

  private void publish(boolean force) {
    long now = System.currentTimeMillis();
    if (!force && now - lastPublished < PUBLISH_MILLIS) {
      return;
    }
    lastPublished = now;
    JsonObject event = event();
    vertx.eventBus().publish(Addresses.PROGRESS, event);
    if (now - lastPersisted >= PERSIST_MILLIS) {
      lastPersisted = now;
      try {
        store.update(id, event);
      } catch (SQLException e) {
        LOG.warn("Could not record the progress of job {}: {}", id, e.getMessage());
      }
    }
  }
}
