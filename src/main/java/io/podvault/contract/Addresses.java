package io.podvault.contract;

import io.vertx.core.eventbus.DeliveryOptions;

/**
 * Event-bus addresses: the only path between the web verticle and the job verticle. In clustered mode some reach
 * every node and some stay in this process. Requests for jobs, a job's upload notices, verdicts and a download's
 * chunks are <b>local</b>: bulk data never crosses the cluster, and the job runs on the node that serves the request
 * (its consumers are {@code localConsumer}s, its messages sent {@link #here()}). Progress, the sign-out, the end
 * of a session, a changed schedule and a node's notice that it leaves are <b>cluster-wide</b>: published to every
 * node.
 */
public final class Addresses {

  /** How a local address is sent to: never to another node. */
  public static DeliveryOptions here() {
    return new DeliveryOptions().setLocalOnly(true);
  }

  /** {@link #here()}, waiting at most {@code millis} for the reply. */
  public static DeliveryOptions here(long millis) {
    return here().setSendTimeout(millis);
  }

  /** Local. Request/reply: start a backup; the reply carries the job id once the dump is under way. */
  public static final String BACKUP_START = "jobs.backup.start";
  /** Local. Request/reply: start a backup into the server's backup folder; the reply carries the job id once it holds the lock. */
  public static final String BACKUP_TO_FOLDER = "jobs.backup.to-folder";
  /**
   * Local. Request/reply: a restore's upload begins; the reply carries the job id and the file to store it in. The
   * job's verdict on the file (passed whole, or refused) goes to the request's verdict address.
   */
  public static final String RESTORE_START = "jobs.restore.start";
  /** Local. Send: how far a restore's upload has come (stored bytes, with the password once known; complete; cancelled). */
  public static final String RESTORE_UPLOAD = "jobs.restore.upload";
  /** Cluster-wide. Published: the backup schedule was changed; the schedulers read it again. */
  public static final String SCHEDULE_CHANGED = "jobs.schedule.changed";
  /** Cluster-wide. Published: a job's progress, in the shape of the WebSocket {@code job} event. */
  public static final String PROGRESS = "jobs.progress";
  /** Cluster-wide. Published: a restore replaced the data; every session is over. */
  public static final String SIGNOUT = "sessions.signout";
  /** Cluster-wide. Published: one session ended (logout); its open pages are signed out. */
  public static final String SESSION_ENDED = "sessions.ended";
  /** Cluster-wide. Published: a node is stopping on purpose (its session name), so it is not fenced when it leaves. */
  public static final String NODE_LEAVING = "cluster.node.leaving";

  private Addresses() {
  }
}
