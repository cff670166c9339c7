package io.podvault.web;

import io.podvault.auth.AttemptLimiter;
import io.vertx.ext.web.RoutingContext;

/**
 * Wrong database passwords per administrator, for backup and restore alike: ten at once, then one each ninety
 * seconds (see {@link AttemptLimiter}); beyond that the caller gets 429. The password is compared on the event
 * loop and the failure counted at once, so guesses sent in parallel are counted like guesses in a row.
 */
final class DatabasePasswordFailures {

  private static final int MAX_FAILURES = 10;
  private static final long WINDOW_MILLIS = 15 * 60 * 1000L;
  private static final int MAX_TRACKED_USERS = 10_000;

  private final AttemptLimiter limiter = new AttemptLimiter(MAX_FAILURES, WINDOW_MILLIS, MAX_TRACKED_USERS);

  /** Fails the request with 429 and {@code Retry-After} when the caller has had too many wrong passwords. */
  void requireAllowed(RoutingContext ctx) {
    long wait = limiter.retryAfterSeconds(key(ctx), System.currentTimeMillis());
    if (wait > 0) {
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      throw new ApiException(429, "rate_limited", "too many wrong database passwords; try again in " + wait + " seconds");
    }
  }

  void record(RoutingContext ctx) {
    limiter.record(key(ctx), System.currentTimeMillis());
  }

  private static String key(RoutingContext ctx) {
    return Integer.toString(Authenticator.principal(ctx).userId());
  }
}
