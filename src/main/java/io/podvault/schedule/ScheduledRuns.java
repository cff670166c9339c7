package io.podvault.schedule;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the scheduled backup is due, decided through the database so that several processes on one database run it
 * once: the process that finds it due sets its {@code last_run} in the same transaction, holding the row, and runs
 * it; the others then find it not due. Runs count from the last run, or from the schedule's last change if that is
 * later. A run missed while every process was down is due at the next start (its time has passed since the last
 * run), once. The schedule is read again every {@value #REREAD_MILLIS} ms, and at
 * once when it changes ({@link #changed}).
 */
public final class ScheduledRuns {

  private static final Logger LOG = LoggerFactory.getLogger(ScheduledRuns.class);
  private static final long REREAD_MILLIS = 10_000;
  private static final String READ =
    "SELECT cron_schedule, enabled, retention_count, updated_at, last_run FROM podvault.backup_schedule WHERE id = 1";
  /** The row, held, with the database's clock: every process then judges a run due, and records it, by one clock. */
  private static final String CLAIM =
    "SELECT cron_schedule, enabled, retention_count, updated_at, last_run, now() AS database_now "
      + "FROM podvault.backup_schedule WHERE id = 1 FOR UPDATE SKIP LOCKED";
  private static final String STARTED = "UPDATE podvault.backup_schedule SET last_run = now(), last_job = ?, last_error = NULL WHERE id = 1";
  private static final String REFUSED = "UPDATE podvault.backup_schedule SET last_job = NULL, last_error = ? WHERE id = 1";

  /** A run this process has claimed: its job's id and how many of podvault's files to keep after it. */
  public record Run(UUID jobId, Integer retentionCount) {
  }

  /** The schedule as last read: its expression (null when unreadable), whether on, and the time runs count from. */
  private record Schedule(CronSchedule cron, boolean enabled, Integer retentionCount, Instant since) {

    boolean dueAt(Instant now, ZoneId zone) {
      if (!enabled || cron == null) {
        return false;
      }
      Optional<ZonedDateTime> next = cron.next(since.atZone(zone));
      return next.isPresent() && !next.get().toInstant().isAfter(now);
    }
  }

  private final DbCoordinates db;
  private final ZoneId zone;
  private Schedule schedule;
  private long readAt;

  public ScheduledRuns(DbCoordinates db, ZoneId zone) {
    this.db = db;
    this.zone = zone;
  }

  /** The schedule changed (on this node): it is read again at the next check. */
  public synchronized void changed() {
    schedule = null;
  }

  /**
   * Claims the scheduled run if it is due, for a job of id {@code jobId}; empty when none is due here. {@code now},
   * this process's clock, only decides whether to ask the database, whose clock decides.
   */
  public synchronized Optional<Run> claimIfDue(Instant now, UUID jobId) throws SQLException {
    if (schedule == null || System.currentTimeMillis() - readAt > REREAD_MILLIS) {
      // Until it has been read, none is due: a database that cannot be reached is asked again in a while, not at once.
      schedule = new Schedule(null, false, null, now);
      readAt = System.currentTimeMillis();
      try (Connection c = Connections.open(db); PreparedStatement ps = c.prepareStatement(READ); ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          schedule = schedule(rs);
        }
      }
    }
    if (!schedule.dueAt(now, zone)) {
      return Optional.empty();
    }
    try (Connection c = Connections.open(db)) {
      c.setAutoCommit(false);
      try (PreparedStatement claim = c.prepareStatement(CLAIM); ResultSet rs = claim.executeQuery()) {
        // Another process holds the row (it is claiming this run), or it is due no more: it ran meanwhile.
        Schedule held = rs.next() ? schedule(rs) : null;
        Instant databaseNow = held == null ? null : rs.getTimestamp("database_now").toInstant();
        if (held == null || !held.dueAt(databaseNow, zone)) {
          c.rollback();
          schedule = null;
          return Optional.empty();
        }
        try (PreparedStatement started = c.prepareStatement(STARTED)) {
          started.setObject(1, jobId);
          started.executeUpdate();
        }
        c.commit();
        schedule = new Schedule(held.cron(), held.enabled(), held.retentionCount(), databaseNow);
        return Optional.of(new Run(jobId, held.retentionCount()));
      } catch (SQLException e) {
        Connections.rollbackQuietly(c);
        throw e;
      }
    }
  }

  /** Records why a claimed run could not start; the next one is due at the schedule's next time. */
  public void refused(String why) {
    try (Connection c = Connections.open(db); PreparedStatement ps = c.prepareStatement(REFUSED)) {
      ps.setString(1, why);
      ps.executeUpdate();
    } catch (SQLException e) {
      LOG.warn("Could not record why the scheduled backup did not start ({}): {}", why, e.getMessage());
    }
  }

  private static Schedule schedule(ResultSet rs) throws SQLException {
    CronSchedule cron;
    try {
      cron = CronSchedule.parse(rs.getString("cron_schedule"));
    } catch (IllegalArgumentException e) {
      LOG.warn("The stored backup schedule cannot be read, so it does not run: {}", e.getMessage());
      cron = null;
    }
    int retention = rs.getInt("retention_count");
    Integer retentionCount = rs.wasNull() ? null : retention;
    // Runs count from the last one, or from the last change of the schedule if that came later.
    Instant since = rs.getTimestamp("updated_at").toInstant();
    Timestamp lastRun = rs.getTimestamp("last_run");
    if (lastRun != null && lastRun.toInstant().isAfter(since)) {
      since = lastRun.toInstant();
    }
    return new Schedule(cron, rs.getBoolean("enabled"), retentionCount, since);
  }
}
