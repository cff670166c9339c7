package io.podvault.job;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Job records in {@code podvault.jobs}: what any process on the database shows for a job, and what survives
 * the restore itself (schema podvault is never replaced). Blocking JDBC; used from job threads only.
 *
 * <p>One connection serves every write, in order; opening one per write cost a job 15-40 ms each time, on
 * the dumping thread. A write that finds the connection gone (the database restarted) is made again on a
 * new one.
 */
public final class JobStore {

  private static final String INSERT =
    "INSERT INTO podvault.jobs (id, kind, state, started_by, progress) VALUES (?, ?, 'running', ?, ?::jsonb)";
  private static final String UPDATE = "UPDATE podvault.jobs SET progress = ?::jsonb WHERE id = ?";
  private static final String FINISH =
    "UPDATE podvault.jobs SET state = ?, error = ?, progress = ?::jsonb, finished_at = now() WHERE id = ?";
  private static final String ABANDONED =
    "UPDATE podvault.jobs SET state = 'failed', finished_at = now(), "
      + "error = 'the server stopped while this job was running; nothing was changed by it' WHERE state = 'running'";

  private static final String RUNNING = "SELECT id FROM podvault.jobs WHERE state = 'running'";
  /** Parameters: the error (twice), the jobs. Returns each job's last event, as failed. */
  private static final String ORPHANED =
    "UPDATE podvault.jobs SET state = 'failed', finished_at = now(), error = ?, "
      + "progress = progress || jsonb_build_object('state', 'failed', 'error', ?::text) "
      + "WHERE state = 'running' AND id = ANY (?) RETURNING progress";

  /** A job failed at a start ({@link #ABANDONED}) kept its last running event: the record's state and error win. */
  private static final String ENDED_EVENTS =
    "SELECT progress || jsonb_strip_nulls(jsonb_build_object('state', state, 'error', error)) FROM podvault.jobs "
      + "WHERE state <> 'running' AND id = ANY (?) ORDER BY finished_at";

  private static final String LAST_SUCCEEDED =
    "SELECT max(finished_at) FROM podvault.jobs WHERE kind = ? AND state = 'succeeded'";

  private final DbCoordinates db;
  private Connection connection;

  public JobStore(DbCoordinates db) {
    this.db = db;
  }

  public void insert(UUID id, String kind, String startedBy, JsonObject progress) throws SQLException {
    execute(INSERT, ps -> {
      ps.setObject(1, id);
      ps.setString(2, kind);
      ps.setString(3, startedBy);
      ps.setString(4, progress.encode());
    });
  }

  /** When the last job of {@code kind} that succeeded, on any process of this database, ended; null before the first. */
  public Instant lastSucceeded(String kind) throws SQLException {
    try (Connection c = Connections.open(db); PreparedStatement ps = c.prepareStatement(LAST_SUCCEEDED)) {
      ps.setString(1, kind);
      try (ResultSet rs = ps.executeQuery()) {
        Timestamp at = rs.next() ? rs.getTimestamp(1) : null;
        return at == null ? null : at.toInstant();
      }
    }
  }

  public void update(UUID id, JsonObject progress) throws SQLException {
    execute(UPDATE, ps -> {
      ps.setString(1, progress.encode());
      ps.setObject(2, id);
    });
  }

  public void finish(UUID id, String state, String error, JsonObject progress) throws SQLException {
    execute(FINISH, ps -> {
      ps.setString(1, state);
      ps.setString(2, error);
      ps.setString(3, progress.encode());
      ps.setObject(4, id);
    });
  }

  /** Marks jobs of processes that died as failed; call only while no process holds the job lock. */
  public int failAbandoned(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(ABANDONED)) {
      return ps.executeUpdate();
    }
  }

  /** The jobs recorded as running, on any process. */
  public List<UUID> running(Connection connection) throws SQLException {
    List<UUID> ids = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(RUNNING); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getObject(1, UUID.class));
      }
    }
    return ids;
  }

  /**
   * Marks these jobs, whose process is gone, as failed with {@code error}; call only while holding the job lock.
   * Returns their last events, as failed.
   */
  public List<JsonObject> failOrphaned(Connection connection, List<UUID> jobs, String error) throws SQLException {
    List<JsonObject> events = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(ORPHANED)) {
      ps.setString(1, error);
      ps.setString(2, error);
      ps.setArray(3, connection.createArrayOf("uuid", jobs.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          events.add(new JsonObject(rs.getString(1)));
        }
      }
    }
    return events;
  }

  /** The last events of those of these jobs that have ended, as their records keep them. */
  public List<JsonObject> endedEvents(Connection connection, List<UUID> jobs) throws SQLException {
    List<JsonObject> events = new ArrayList<>();
    if (jobs.isEmpty()) {
      return events;
    }
    try (PreparedStatement ps = connection.prepareStatement(ENDED_EVENTS)) {
      ps.setArray(1, connection.createArrayOf("uuid", jobs.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          events.add(new JsonObject(rs.getString(1)));
        }
      }
    }
    return events;
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Closes the connection; a later write opens a new one. */
  public synchronized void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // a broken connection: nothing left to release
      }
      connection = null;
    }
  }

  private synchronized void execute(String sql, Binder binder) throws SQLException {
    boolean kept = connection != null;
    try {
      executeOnce(sql, binder);
    } catch (SQLException e) {
      if (!kept || !isConnectionLost(e)) {
        throw e;
      }
      executeOnce(sql, binder); // the kept connection had gone (database restarted): once more, on a new one
    }
  }

  /** One attempt; a failed one closes the connection. */
  private void executeOnce(String sql, Binder binder) throws SQLException {
    if (connection == null) {
      connection = Connections.open(db);
    }
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      binder.bind(ps);
      ps.executeUpdate();
    } catch (SQLException e) {
      close();
      throw e;
    }
  }

  /** Connection failures (class 08) and the server ending the session (57P01-57P03). */
  private static boolean isConnectionLost(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("08") || state.startsWith("57P"));
  }
}
