package io.podvault.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * podvault's figures for {@code GET /metrics}, in Prometheus' text format: jobs by kind and outcome with their
 * durations, rows moved, the rows per second of the last job of each kind, and the time of the last successful
 * backup, beside the Vert.x HTTP and event-bus figures when the process was started with them ({@code Main}). One
 * registry per process.
 */
public final class Metrics {

  private static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private static final AtomicLong LAST_BACKUP_SECONDS = new AtomicLong();
  private static final Map<String, AtomicLong> ROWS_PER_SECOND = new ConcurrentHashMap<>();

  static {
    Gauge.builder("podvault_last_successful_backup_timestamp_seconds", LAST_BACKUP_SECONDS, AtomicLong::get)
      .description("When the last backup of this database succeeded (Unix time), as this process knows it; 0 before the first")
      .register(REGISTRY);
  }

  private Metrics() {
  }

  public static PrometheusMeterRegistry registry() {
    return REGISTRY;
  }

  /**
   * A backup succeeded at {@code at}, here or, read at start, on any process of this database: the gauge keeps the
   * latest, so that a restart does not look like a missing backup.
   */
  public static void backupSucceededAt(Instant at) {
    LAST_BACKUP_SECONDS.accumulateAndGet(at.getEpochSecond(), Math::max);
  }

  /** A job ended: {@code outcome} is its final state; {@code rows} what it moved. */
  public static void jobEnded(String kind, String outcome, Duration took, long rows) {
    Timer.builder("podvault_jobs").description("Jobs that ended, by kind and outcome, and how long they took")
      .tags("kind", kind, "outcome", outcome).register(REGISTRY).record(took);
    Counter.builder("podvault_job_rows").description("Rows that jobs backed up or restored").tag("kind", kind)
      .register(REGISTRY).increment(rows);
    if (!"succeeded".equals(outcome)) {
      return;
    }
    ROWS_PER_SECOND.computeIfAbsent(kind, k -> {
      AtomicLong rate = new AtomicLong();
      Gauge.builder("podvault_last_job_rows_per_second", rate, AtomicLong::get)
        .description("Rows per second of the last successful job of each kind").tag("kind", k).register(REGISTRY);
      return rate;
    }).set(took.toMillis() == 0 ? rows * 1000 : rows * 1000 / took.toMillis());
    if ("backup".equals(kind)) {
      backupSucceededAt(Instant.now());
    }
  }
}
