package io.podvault.auth;

import io.podvault.db.DatabaseUnavailableException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many sign-in attempts are let through to the password hash. An attempt is counted when it is admitted,
 * before its password is hashed, so guesses sent in parallel are counted too; it is given back when the
 * password was right. Failures are limited per user at an address and per address, never per user alone,
 * which would let anyone lock the real user out.
 *
 * <p>The counts are kept in the database ({@code podvault.sign_in_attempts}), shared by every podvault process on
 * it, so that guesses spread over the processes behind a load balancer are limited as if they all went to one;
 * they are counted with the database's clock. Each key is a bucket that an attempt fills by one and that drains by
 * its maximum per window: a key may make its maximum of attempts at once, then one each {@code window / maximum}.
 * An address also has only a few attempts in flight at once in each process, so that one address cannot fill this
 * process's hashing queue and starve everyone else. Used on the event loop only.
 */
public final class SignInLimits {

  private static final Logger LOG = LoggerFactory.getLogger(SignInLimits.class);
  private static final int MAX_FAILURES_PER_USER_AT_ADDRESS = 10;
  private static final int MAX_FAILURES_PER_ADDRESS = 50;
  private static final int MAX_IN_FLIGHT_PER_ADDRESS = 4;
  private static final long WINDOW_SECONDS = 15 * 60;
  private static final long IN_FLIGHT_RETRY_SECONDS = 1;

  /** The two buckets exist; inserted in the keys' order, as every statement here takes them, so none deadlock. */
  private static final String ENSURE = "INSERT INTO podvault.sign_in_attempts (key, level, at) "
    + "VALUES ($1, 0, clock_timestamp()), ($2, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING";
  /** The buckets' levels and how long since they were set, locked until the attempt is counted or refused. */
  private static final String LEVELS = "SELECT key, level, EXTRACT(EPOCH FROM clock_timestamp() - at)::float8 AS seconds "
    + "FROM podvault.sign_in_attempts WHERE key IN ($1, $2) ORDER BY key FOR UPDATE";
  private static final String SET = "UPDATE podvault.sign_in_attempts SET level = $2, at = clock_timestamp() WHERE key = $1";
  /** Gives one attempt back: drained to now, less one. Parameters: key, drain per second. */
  private static final String GIVE_BACK = "UPDATE podvault.sign_in_attempts SET at = clock_timestamp(), "
    + "level = GREATEST(0, level - EXTRACT(EPOCH FROM clock_timestamp() - at)::float8 * $2 - 1) WHERE key = $1";
  /** A bucket untouched for a whole window is empty: it drains its maximum per window. */
  private static final String PURGE = "DELETE FROM podvault.sign_in_attempts WHERE at < clock_timestamp() - make_interval(secs => $1)";
  private static final int PURGE_EVERY_ADMITTED = 500;

  private final Pool pool;
  /** Attempts admitted and not ended in this process, per address; an address with none has no entry. */
  private final Map<String, Integer> inFlight = new HashMap<>();
  private int admittedSincePurge;

  public SignInLimits(Pool pool) {
    this.pool = pool;
  }

  /** One limit: a key and the most failures it may have in a window. */
  private record Bucket(String key, int max) {

    double drainPerSecond() {
      return (double) max / WINDOW_SECONDS;
    }
  }

  /**
   * Admits and counts an attempt of {@code username} from {@code address}, or fails with
   * {@link TooManyAttemptsException} saying why not ({@link DatabaseUnavailableException} when the database cannot
   * count it).
   */
  public Future<Attempt> admit(String username, String address) {
    if (inFlight.getOrDefault(address, 0) >= MAX_IN_FLIGHT_PER_ADDRESS) {
      return Future.failedFuture(
        new TooManyAttemptsException(TooManyAttemptsException.Reason.TOO_MANY_AT_ONCE, IN_FLIGHT_RETRY_SECONDS));
    }
    inFlight.merge(address, 1, Integer::sum);
    Bucket user = new Bucket("user " + username.toLowerCase(Locale.ROOT) + " at " + address, MAX_FAILURES_PER_USER_AT_ADDRESS);
    Bucket whole = new Bucket("address " + address, MAX_FAILURES_PER_ADDRESS);
    Bucket first = user.key().compareTo(whole.key()) < 0 ? user : whole;
    Bucket second = first == user ? whole : user;
    Future<Attempt> admitted = pool.withTransaction(c -> c.preparedQuery(ENSURE).execute(Tuple.of(first.key(), second.key()))
        .compose(v -> c.preparedQuery(LEVELS).execute(Tuple.of(first.key(), second.key())))
        .compose(rows -> {
          Map<String, Double> drained = new HashMap<>();
          long wait = 0;
          for (Row row : rows) {
            Bucket bucket = row.getString("key").equals(user.key()) ? user : whole;
            double level = Math.max(0, row.getDouble("level") - row.getDouble("seconds") * bucket.drainPerSecond());
            drained.put(bucket.key(), level);
            if (level + 1 > bucket.max()) {
              wait = Math.max(wait, Math.max(1, (long) Math.ceil((level + 1 - bucket.max()) / bucket.drainPerSecond())));
            }
          }
          if (wait > 0) {
            return Future.failedFuture(new TooManyAttemptsException(TooManyAttemptsException.Reason.TOO_MANY_FAILURES, wait));
          }
          return c.preparedQuery(SET).executeBatch(java.util.List.of(
              Tuple.of(first.key(), drained.getOrDefault(first.key(), 0.0) + 1),
              Tuple.of(second.key(), drained.getOrDefault(second.key(), 0.0) + 1)))
            .map(v -> new Attempt(user, whole, address));
        }))
      .recover(e -> e instanceof TooManyAttemptsException ? Future.failedFuture(e) : DatabaseUnavailableException.classify(e));
    return admitted
      .onFailure(e -> endInFlight(address))
      .onSuccess(attempt -> purgeNow());
  }

  private void endInFlight(String address) {
    inFlight.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
  }

  /** Now and then, the buckets that have drained are deleted. */
  private void purgeNow() {
    if (++admittedSincePurge < PURGE_EVERY_ADMITTED) {
      return;
    }
    admittedSincePurge = 0;
    pool.preparedQuery(PURGE).execute(Tuple.of((double) WINDOW_SECONDS))
      .onFailure(e -> LOG.debug("Drained sign-in counts not deleted: {}", e.toString()));
  }

  /** One admitted attempt, to be ended exactly once. */
  public final class Attempt {

    private final Bucket user;
    private final Bucket whole;
    private final String address;
    private boolean ended;

    private Attempt(Bucket user, Bucket whole, String address) {
      this.user = user;
      this.whole = whole;
      this.address = address;
    }

    /** The attempt is over; {@code wrongPassword} keeps it counted, anything else gives it back. */
    public void end(boolean wrongPassword) {
      if (ended) {
        return;
      }
      ended = true;
      endInFlight(address);
      if (!wrongPassword) {
        // One row a statement: never two rows locked in an order of its own.
        for (Bucket bucket : new Bucket[] {user, whole}) {
          pool.preparedQuery(GIVE_BACK).execute(Tuple.of(bucket.key(), bucket.drainPerSecond()))
            .onFailure(e -> LOG.warn("A sign-in was not given back to the count of {}: {}", bucket.key(), e.toString()));
        }
      }
    }
  }
}
