package io.podvault.auth;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts failed attempts per key (a user name, an address) in a sliding window and says when a key has
 * had too many. Used on the event loop only, so it needs no locking. Login and the backup endpoint's
 * database password both go through one.
 */
public final class AttemptLimiter {

  private static final int MAX_TRACKED_KEYS = 100_000;

  private final int maxFailures;
  private final long windowMillis;
  private final Map<String, Deque<Long>> failures = new HashMap<>();

  public AttemptLimiter(int maxFailures, long windowMillis) {
    this.maxFailures = maxFailures;
    this.windowMillis = windowMillis;
  }

  /** Seconds until the key may try again, or 0 when it may try now. */
  public long retryAfterSeconds(String key, long now) {
    Deque<Long> times = failures.get(key);
    if (times == null) {
      return 0;
    }
    prune(times, now);
    if (times.size() < maxFailures) {
      return 0;
    }
    return Math.max(1, (times.peekFirst() + windowMillis - now + 999) / 1000);
  }

  public void recordFailure(String key, long now) {
    if (failures.size() >= MAX_TRACKED_KEYS) {
      failures.values().removeIf(times -> {
        prune(times, now);
        return times.isEmpty();
      });
    }
    failures.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(now);
  }

  public void reset(String key) {
    failures.remove(key);
  }

  private void prune(Deque<Long> times, long now) {
    while (!times.isEmpty() && times.peekFirst() <= now - windowMillis) {
      times.removeFirst();
    }
  }
}
