package io.podvault.auth;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How many sign-in attempts are let through to the password hash. An attempt is counted when it is admitted,
 * before its password is hashed, so guesses sent in parallel are counted too; it is given back when the
 * password was right. Failures are limited per user at an address and per address, never per user alone,
 * which would let anyone lock the real user out. An address also has only a few attempts in flight at once,
 * so that one address cannot fill the hashing queue and starve everyone else. Used on the event loop only.
 */
public final class SignInLimits {

  private static final int MAX_FAILURES_PER_USER_AT_ADDRESS = 10;
  private static final int MAX_FAILURES_PER_ADDRESS = 50;
  private static final int MAX_IN_FLIGHT_PER_ADDRESS = 4;
  private static final long WINDOW_MILLIS = 15 * 60 * 1000L;
  private static final int MAX_KEYS = 50_000;
  private static final long IN_FLIGHT_RETRY_SECONDS = 1;

  private final AttemptLimiter perUserAtAddress =
    new AttemptLimiter(MAX_FAILURES_PER_USER_AT_ADDRESS, WINDOW_MILLIS, MAX_KEYS);
  private final AttemptLimiter perAddress = new AttemptLimiter(MAX_FAILURES_PER_ADDRESS, WINDOW_MILLIS, MAX_KEYS);
  /** Attempts admitted and not ended, per address; an address with none has no entry. */
  private final Map<String, Integer> inFlight = new HashMap<>();

  /**
   * Admits and counts an attempt of {@code username} from {@code address}, or throws
   * {@link TooManyAttemptsException} saying why not.
   */
  public Attempt admit(String username, String address, long now) {
    if (inFlight.getOrDefault(address, 0) >= MAX_IN_FLIGHT_PER_ADDRESS) {
      throw new TooManyAttemptsException(TooManyAttemptsException.Reason.TOO_MANY_AT_ONCE, IN_FLIGHT_RETRY_SECONDS);
    }
    String userKey = username.toLowerCase(Locale.ROOT) + "\n" + address;
    long wait = Math.max(perUserAtAddress.retryAfterSeconds(userKey, now), perAddress.retryAfterSeconds(address, now));
    if (wait > 0) {
      throw new TooManyAttemptsException(TooManyAttemptsException.Reason.TOO_MANY_FAILURES, wait);
    }
    perUserAtAddress.record(userKey, now);
    perAddress.record(address, now);
    inFlight.merge(address, 1, Integer::sum);
    return new Attempt(userKey, address);
  }

  /** One admitted attempt, to be ended exactly once. */
  public final class Attempt {

    private final String userKey;
    private final String address;
    private boolean ended;

    private Attempt(String userKey, String address) {
      this.userKey = userKey;
      this.address = address;
    }

    /** The attempt is over; {@code wrongPassword} keeps it counted, anything else gives it back. */
    public void end(boolean wrongPassword, long now) {
      if (ended) {
        return;
      }
      ended = true;
      inFlight.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
      if (!wrongPassword) {
        perUserAtAddress.giveBack(userKey, now);
        perAddress.giveBack(address, now);
      }
    }
  }
}
