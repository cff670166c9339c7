package io.podvault.contract;

/** Event-bus addresses: the only path between the web verticle and the job verticle. */
public final class Addresses {

  /** Request/reply: start a backup; the reply carries the job id once the dump is under way. */
  public static final String BACKUP_START = "jobs.backup.start";
  /** Request/reply: start a backup into the server's backup folder; the reply carries the job id once it holds the lock. */
  public static final String BACKUP_TO_FOLDER = "jobs.backup.to-folder";
  /**
   * Request/reply: a restore's upload begins; the reply carries the job id and the file to store it in. The
   * job's verdict on the file (passed whole, or refused) goes to the request's verdict address.
   */
  public static final String RESTORE_START = "jobs.restore.start";
  /** Send: how far a restore's upload has come (stored bytes, with the password once known; complete; cancelled). */
  public static final String RESTORE_UPLOAD = "jobs.restore.upload";
  /** Published: the backup schedule was changed; the schedulers read it again. */
  public static final String SCHEDULE_CHANGED = "jobs.schedule.changed";
  /** Published: a job's progress, in the shape of the WebSocket {@code job} event. */
  public static final String PROGRESS = "jobs.progress";
  /** Published: a restore replaced the data; every session is over. */
  public static final String SIGNOUT = "sessions.signout";
  /** Published: one session ended (logout); its open pages are signed out. */
  public static final String SESSION_ENDED = "sessions.ended";

  private Addresses() {
  }
}
