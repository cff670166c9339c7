package io.podvault.contract;

/** A job refused or failed for a reason the administrator can act on; the message says what to do. */
public class JobException extends Exception {

  private final JobFailure failure;

  public JobException(JobFailure failure, String message) {
    super(message);
    this.failure = failure;
  }

  public JobException(JobFailure failure, String message, Throwable cause) {
    super(message, cause);
    this.failure = failure;
  }

  /** A typed database password that is not this server's. */
  public static JobException wrongDatabasePassword() {
    return new JobException(JobFailure.WRONG_DATABASE_PASSWORD,
      "the database password is wrong: it must be the password of the database role podvault uses");
  }

  /** Another backup or restore holds the job lock. */
  public static JobException jobRunning() {
    return new JobException(JobFailure.JOB_RUNNING,
      "a backup or restore is already running on this server; wait until it has finished");
  }

  public JobFailure failure() {
    return failure;
  }
}
