package io.podvault.web;

import io.podvault.contract.Addresses;
import io.podvault.schedule.CronSchedule;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * {@code schedule_backup} and {@code get_scheduled_backup}, with PinePods' names and fields: the schedule of backups
 * into the backup folder, kept in podvault's own schema (so a restore never changes it), in the server's time zone.
 */
final class ScheduleHandlers {

  private static final String CRON = "cron_schedule";
  private static final String ENABLED = "enabled";
  private static final String RETENTION = "retention_count";
  private static final int MAX_RETENTION = 10_000;
  private static final int NEXT_RUNS = 3;
  private static final String SAVE =
    "INSERT INTO podvault.backup_schedule (id, cron_schedule, enabled, retention_count, updated_at) VALUES (1, $1, $2, $3, now()) "
      + "ON CONFLICT (id) DO UPDATE SET cron_schedule = EXCLUDED.cron_schedule, enabled = EXCLUDED.enabled, "
      + "retention_count = EXCLUDED.retention_count, updated_at = now()";
  private static final String READ =
    "SELECT s.cron_schedule, s.enabled, s.retention_count, s.last_run, s.last_job, s.last_error, "
      + "j.state, j.error, j.finished_at FROM podvault.backup_schedule s LEFT JOIN podvault.jobs j ON j.id = s.last_job WHERE s.id = 1";

  private final Vertx vertx;
  private final Pool pool;
  private final ZoneId zone;

  ScheduleHandlers(Vertx vertx, Pool pool, ZoneId zone) {
    this.vertx = vertx;
    this.pool = pool;
    this.zone = zone;
  }

  void save(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
    CronSchedule cron;
    try {
      cron = CronSchedule.parse(Requests.requiredString(body, CRON, 200));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("the field '" + CRON + "': " + e.getMessage());
    }
    Object enabled = body.getValue(ENABLED);
    if (enabled != null && !(enabled instanceof Boolean)) {
      throw ApiException.badRequest("the field '" + ENABLED + "' must be true or false");
    }
    Integer retention = retention(body.getValue(RETENTION));
    pool.preparedQuery(SAVE).execute(Tuple.of(cron.expression(), enabled == null || (Boolean) enabled, retention))
      .compose(saved -> {
        vertx.eventBus().publish(Addresses.SCHEDULE_CHANGED, new JsonObject());
        return pool.query(READ).execute();
      })
      .onSuccess(rows -> Responses.json(ctx, 200, describe(rows.iterator().next())
        .put("detail", "the backup schedule was saved")))
      .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    pool.query(READ).execute()
      .onSuccess(rows -> Responses.json(ctx, 200, rows.size() == 0
        ? new JsonObject().putNull(CRON).put(ENABLED, false).putNull(RETENTION).putNull("last_run").putNull("next_run")
          .put("next_runs", new JsonArray()).putNull("last_outcome").put("time_zone", zone.getId())
        : describe(rows.iterator().next())))
      .onFailure(ctx::fail);
  }

  /** A whole number of files to keep, at least one; null (or absent) keeps every file. */
  private static Integer retention(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 1 || n.longValue() > MAX_RETENTION) {
      throw ApiException.badRequest("the field '" + RETENTION + "' must be a whole number from 1 to " + MAX_RETENTION
        + " (how many of podvault's backups the folder keeps), or null to keep them all");
    }
    return n.intValue();
  }

  private JsonObject describe(Row row) {
    boolean enabled = row.getBoolean("enabled");
    JsonArray next = new JsonArray();
    try {
      List<ZonedDateTime> runs = CronSchedule.parse(row.getString(CRON)).nextRuns(ZonedDateTime.now(zone), NEXT_RUNS);
      runs.forEach(run -> next.add(run.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)));
    } catch (IllegalArgumentException unreadable) {
      // an expression stored by another version that this one cannot read: it shows no runs, and none happen
    }
    OffsetDateTime lastRun = row.getOffsetDateTime("last_run");
    return new JsonObject()
      .put(CRON, row.getString(CRON))
      .put(ENABLED, enabled)
      .put(RETENTION, row.getInteger(RETENTION))
      .put("last_run", lastRun == null ? null : lastRun.atZoneSameInstant(zone).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
      .put("next_run", enabled && !next.isEmpty() ? next.getString(0) : null)
      .put("next_runs", next)
      .put("last_outcome", outcome(row))
      .put("time_zone", zone.getId());
  }

  /** The last scheduled run: its job's state and error, or why it could not start; null before the first. */
  private static JsonObject outcome(Row row) {
    if (row.getUUID("last_job") != null) {
      OffsetDateTime finished = row.getOffsetDateTime("finished_at");
      return new JsonObject().put("job_id", row.getUUID("last_job").toString()).put("state", row.getString("state"))
        .put("error", row.getString("error")).put("finished_at", finished == null ? null : finished.toString());
    }
    if (row.getString("last_error") != null) {
      return new JsonObject().putNull("job_id").put("state", "not_started").put("error", row.getString("last_error"));
    }
    return null;
  }
}
