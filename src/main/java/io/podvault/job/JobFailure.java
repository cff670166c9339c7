package io.podvault.job;

/**
 * Why a job request was refused or a job failed; travels as the event-bus failure code
 * ({@code message.fail(code.ordinal(), text)}) and maps to the HTTP status the web layer answers with.
 */
public enum JobFailure {
  WRONG_DATABASE_PASSWORD(403, "wrong_database_password"),
  BACKUP_PASSWORD_MISMATCH(403, "backup_password_mismatch"),
  JOB_RUNNING(409, "job_running"),
  INVALID_BACKUP(400, "invalid_backup"),
  DATABASE_UNAVAILABLE(503, "database_unavailable"),
  CLIENT_GONE(499, "client_gone"),
  INTERNAL(500, "internal_error");

  private final int httpStatus;
  private final String code;

  JobFailure(int httpStatus, String code) {
    this.httpStatus = httpStatus;
    this.code = code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String code() {
    return code;
  }

  public static JobFailure fromCode(int ordinal) {
    return ordinal >= 0 && ordinal < values().length ? values()[ordinal] : INTERNAL;
  }
}
