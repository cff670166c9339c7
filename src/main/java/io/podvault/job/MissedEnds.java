package io.podvault.job;

import static io.podvault.contract.Fields.JOB_ID;
import static io.podvault.contract.Fields.STATE;
import static io.podvault.contract.Fields.STATE_RUNNING;

import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The ends of jobs that this node did not hear. In clustered mode a job's events reach the other nodes over the
 * event bus, which delivers at most once: an event published while the members change (a node cut off, the
 * cluster's master with it) can be lost. A lost end would leave this node's administrators watching a job that
 * runs forever, and a lost end of a swap would keep its 503 gate shut. The job's record in the database is what
 * counts: at every periodic check the job verticle hands over the jobs recorded as running, and a job that has left
 * them without its end heard here by the next check is one whose end this node missed. Its last event, as the
 * record keeps it, is then delivered to this node's own consumers. A job of the command line, which publishes
 * nothing to the server, has its end delivered the same way.
 */
final class MissedEnds {

  /** How long an end heard here is remembered: many checks, for a job whose record ends after its event. */
  private static final long REMEMBER_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** Jobs whose end this node heard, and when. */
  private final Map<UUID, Long> heard = new ConcurrentHashMap<>();
  /** The jobs recorded as running at the last check. */
  private Set<UUID> lastRunning = Set.of();
  /** Jobs that left the running ones at the last check with their end not heard yet. */
  private Set<UUID> unheard = Set.of();

  /** Called with every job event this node receives. */
  void received(JsonObject event) {
    if (!STATE_RUNNING.equals(event.getString(STATE))) {
      try {
        heard.put(UUID.fromString(event.getString(JOB_ID, "")), System.nanoTime());
      } catch (IllegalArgumentException notAJob) {
        // not a job's event: nothing to remember
      }
    }
  }

  /**
   * Takes the jobs the database records as running now, at one check; returns the jobs whose end this node has
   * missed: they had already left the running ones at the previous check, and no end of theirs has been heard
   * since.
   */
  synchronized List<UUID> check(Collection<UUID> running) {
    List<UUID> missed = unheard.stream().filter(id -> !heard.containsKey(id)).toList();
    Set<UUID> ended = new HashSet<>(lastRunning);
    ended.removeAll(running);
    ended.removeIf(heard::containsKey);
    unheard = Set.copyOf(ended);
    lastRunning = Set.copyOf(running);
    long now = System.nanoTime();
    heard.values().removeIf(at -> now - at > REMEMBER_NANOS);
    return missed;
  }
}
