package io.podvault.auth;

/** A sign-in attempt that {@link SignInLimits} did not let through to the password hash. */
public final class TooManyAttemptsException extends RuntimeException {

  /** Why the attempt was not admitted. */
  public enum Reason {
    /** Too many wrong passwords for this user from this address, or from this address at all. */
    TOO_MANY_FAILURES,
    /** This address has as many sign-ins in flight as it may have. */
    TOO_MANY_AT_ONCE
  }

  private final Reason reason;
  private final long retryAfterSeconds;

  public TooManyAttemptsException(Reason reason, long retryAfterSeconds) {
    super(reason.name(), null, false, false);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Reason reason() {
    return reason;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
