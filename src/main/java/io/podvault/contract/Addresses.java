package io.podvault.contract;

/** Event-bus addresses: the only path between the web verticle and the job verticle. */
public final class Addresses {

  /** Request/reply: start a backup; the reply carries the job id once the dump is under way. */
  public static final String BACKUP_START = "jobs.backup.start";
  /**
   * Request/reply: a restore's upload begins; the reply carries the job id and the file to store it in. The
   * file is checked as it arrives; a refusal before it is complete goes to the request's notify address.
   */
  public static final String RESTORE_START = "jobs.restore.start";
  /** Send: this many bytes of the upload are stored (and, once known, the password it must be sealed with). */
  public static final String RESTORE_STORED = "jobs.restore.stored";
  /** Request/reply: the upload is complete; the reply comes once it has been checked whole (then 202). */
  public static final String RESTORE_UPLOADED = "jobs.restore.uploaded";
  /** Request/reply: the upload stopped; the reply comes once the job has ended and the file is deleted. */
  public static final String RESTORE_CANCEL = "jobs.restore.cancel";
  /** Published: a job's progress, in the shape of the WebSocket {@code job} event. */
  public static final String PROGRESS = "jobs.progress";
  /** Published: a restore replaced the data; every session is over. */
  public static final String SIGNOUT = "sessions.signout";
  /** Published: one session ended (logout); its open pages are signed out. */
  public static final String SESSION_ENDED = "sessions.ended";

  private Addresses() {
  }
}
