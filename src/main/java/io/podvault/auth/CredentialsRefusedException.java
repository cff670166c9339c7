package io.podvault.auth;

/**
 * A credential (password, token, API key) was checked against the database and refused. The reason is explicit so
 * the web layer can tell the caller what happened; a database that could not be asked is not a refusal (that is
 * {@link io.podvault.db.DatabaseUnavailableException}).
 */
public final class CredentialsRefusedException extends RuntimeException {

  /** Why the credential was refused. */
  public enum Reason {
    /** Unknown, forged, expired, revoked, or a wrong password. */
    INVALID,
    /** A restore ended it: a token issued before the restore, or a sign-in the restore's swap overtook. */
    ENDED_BY_RESTORE
  }

  private final Reason reason;

  public CredentialsRefusedException(Reason reason) {
    super(reason.name(), null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
