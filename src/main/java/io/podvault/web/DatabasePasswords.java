package io.podvault.web;

import io.podvault.auth.AttemptLimiter;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.JobException;
import io.vertx.ext.web.RoutingContext;

/**
 * Checks the database password an administrator typed for a backup or a restore, and counts the wrong ones per
 * administrator: ten at once, then one each ninety seconds (see {@link AttemptLimiter}); beyond that the caller
 * gets 429. The password is compared here, on the event loop, and a wrong one counted at once, so guesses sent
 * in parallel are counted like guesses in a row. Used on the event loop only.
 */
final class DatabasePasswords {

  private static final int MAX_FAILURES = 10;
  private static final long WINDOW_MILLIS = 15 * 60 * 1000L;
  private static final int MAX_TRACKED_USERS = 10_000;

  private final DbCoordinates db;
  private final AttemptLimiter failures = new AttemptLimiter(MAX_FAILURES, WINDOW_MILLIS, MAX_TRACKED_USERS);

  DatabasePasswords(DbCoordinates db) {
    this.db = db;
  }

  /** Fails the request with 429 and {@code Retry-After} when the caller has had too many wrong passwords. */
  void requireAllowed(RoutingContext ctx) {
    long wait = failures.retryAfterSeconds(key(ctx), System.currentTimeMillis());
    if (wait > 0) {
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      throw new ApiException(429, "rate_limited", "too many wrong database passwords; try again in " + wait + " seconds");
    }
  }

  /** Fails the request unless {@code typed} is this server's database password (429 first when over the limit). */
  void require(RoutingContext ctx, String typed) {
    requireAllowed(ctx);
    if (!matches(ctx, typed)) {
      JobException wrong = JobException.wrongDatabasePassword();
      throw new ApiException(wrong.failure().httpStatus(), wrong.failure().code(), wrong.getMessage());
    }
  }

  /** Whether {@code typed} is this server's database password; a wrong one is counted. */
  boolean matches(RoutingContext ctx, String typed) {
    if (isThisServers(typed)) {
      return true;
    }
    record(ctx);
    return false;
  }

  /** Whether {@code typed} is this server's database password, without counting (it may be another server's). */
  boolean isThisServers(String typed) {
    return db.passwordMatches(typed);
  }

  /** Counts a failed proof that involved no typed password of this server's (one was missing). */
  void record(RoutingContext ctx) {
    failures.record(key(ctx), System.currentTimeMillis());
  }

  private static String key(RoutingContext ctx) {
    return Integer.toString(Authenticator.principal(ctx).userId());
  }
}
