package io.podvault.auth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts attempts per key (an address, a user at an address) and says when a key has had too many. Each key
 * has a bucket that an attempt fills by one and that drains by {@code maxAttempts} per window: a key may make
 * {@code maxAttempts} attempts at once, then one each {@code window / maxAttempts}. That is two numbers per key,
 * for at most {@code maxKeys} keys; beyond that the key used least recently is forgotten. Used on the event loop
 * only, so it needs no locking. Sign-in and the backup endpoint's database password both go through one.
 */
public final class AttemptLimiter {

  /** How full a key's bucket is, as of a moment. */
  private static final class Bucket {
    double level;
    long at;
  }

  private final int maxAttempts;
  private final double drainPerMilli;
  private final Map<String, Bucket> buckets;

  public AttemptLimiter(int maxAttempts, long windowMillis, int maxKeys) {
    this.maxAttempts = maxAttempts;
    this.drainPerMilli = (double) maxAttempts / windowMillis;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > maxKeys;
      }
    };
  }

  /** Seconds until the key may make one more attempt, or 0 when it may now. */
  public long retryAfterSeconds(String key, long now) {
    double level = level(key, now);
    if (level + 1 <= maxAttempts) {
      return 0;
    }
    return Math.max(1, (long) Math.ceil((level + 1 - maxAttempts) / drainPerMilli / 1000));
  }

  /** Counts one attempt. */
  public void record(String key, long now) {
    Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket());
    bucket.level = drained(bucket, now) + 1;
    bucket.at = now;
  }

  /** Takes back one attempt that turned out not to count (the password was right). */
  public void giveBack(String key, long now) {
    Bucket bucket = buckets.get(key);
    if (bucket == null) {
      return;
    }
    bucket.level = drained(bucket, now) - 1;
    bucket.at = now;
    if (bucket.level <= 0) {
      buckets.remove(key);
    }
  }

  /** How many keys are remembered. */
  int size() {
    return buckets.size();
  }

  private double level(String key, long now) {
    Bucket bucket = buckets.get(key);
    return bucket == null ? 0 : drained(bucket, now);
  }

  private double drained(Bucket bucket, long now) {
    return Math.max(0, bucket.level - (now - bucket.at) * drainPerMilli);
  }
}
