package io.podvault.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.podvault.config.ClusterSettings;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.db.Connections;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clustered mode's guard against a node cut off from the others while it is still connected to the database:
 * PostgreSQL keeps such a node's silent sessions for hours, and its job lock with them. A partition looks the same
 * from both sides, so only a node that sees a strict majority of the configured members acts, as Hazelcast's
 * split-brain protection counts them. When a member vanishes without having said that it leaves, such a node ends
 * that member's database sessions, which all carry its name ({@link Connections#applicationName()}): its job lock and
 * its job end, and its swap, which checks the lock inside its transaction, can never commit. A node in a minority
 * starts no job ({@link #lacking()}); a member that leaves cleanly (a stop, a rolling upgrade) says so first and is
 * not fenced.
 */
public final class Fence implements Majority, MembershipListener {

  /** The member attribute that carries a node's session name to the others. */
  static final String SESSION_NAME = "podvault.session-name";
  /** Hazelcast's split-brain protection that counts the members this node sees. */
  static final String PROTECTION = "podvault-majority";
  /** How long a member's notice that it leaves may trail its removal from the cluster. */
  private static final long NOTICE_GRACE_MILLIS = 2_000;
  private static final String END_SESSIONS = "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
    + "WHERE datname = current_database() AND application_name = ? AND pid <> pg_backend_pid()";

  private static final Logger LOG = LoggerFactory.getLogger(Fence.class);

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final ClusterSettings settings;
  private final DbCoordinates db;
  /** Session names of members that said they leave, until their removal is seen. */
  private final Set<String> leaving = ConcurrentHashMap.newKeySet();

  private Fence(Vertx vertx, HazelcastInstance hazelcast, ClusterSettings settings, DbCoordinates db) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.settings = settings;
    this.db = db;
  }

  /** Watches the cluster's members from now on. */
  static Fence start(Vertx vertx, HazelcastInstance hazelcast, ClusterSettings settings, DbCoordinates db) {
    Fence fence = new Fence(vertx, hazelcast, settings, db);
    vertx.eventBus().<String>consumer(Addresses.NODE_LEAVING, message -> fence.leaving.add(message.body()));
    hazelcast.getCluster().addMembershipListener(fence);
    return fence;
  }

  /** Tells the other nodes that this one leaves on purpose: called first when it stops. */
  public void leave() {
    vertx.eventBus().publish(Addresses.NODE_LEAVING, Connections.applicationName());
  }

  @Override
  public String lacking() {
    if (settings.majority() == 1 || hazelcast.getSplitBrainProtectionService().getSplitBrainProtection(PROTECTION).hasMinimumSize()) {
      return null;
    }
    return "this node sees " + seen() + " of the cluster's " + settings.members().size() + " members, not a majority, "
      + "so it starts no backup or restore: a node cut off from the others must not change the data. Use another "
      + "node, or check the network between the nodes";
  }

  private int seen() {
    return hazelcast.getCluster().getMembers().size();
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    LOG.info("Node {} joined the cluster; this node sees {} of its {} members", name(event), seen(), settings.members().size());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String name = name(event);
    LOG.info("Node {} is no longer in the cluster; this node sees {} of its {} members", name, seen(), settings.members().size());
    // The protection counts the members again after this event; its notice may also still be on its way.
    vertx.setTimer(NOTICE_GRACE_MILLIS, t -> vertx.executeBlocking(() -> {
      fenceIfVanished(name);
      return null;
    }, false).onFailure(e -> LOG.error("Node {} vanished from the cluster, and its database sessions could not be ended "
      + "({}): a job it held stays locked until PostgreSQL drops its connections; end the sessions named '{}' by hand",
      name, e.getMessage(), name)));
  }

  private static String name(MembershipEvent event) {
    String name = event.getMember().getAttribute(SESSION_NAME);
    return name != null ? name : event.getMember().getAddress().toString();
  }

  private void fenceIfVanished(String name) throws SQLException {
    if (leaving.remove(name)) {
      LOG.info("Node {} left the cluster cleanly", name);
      return;
    }
    if (lacking() != null) {
      LOG.warn("Node {} vanished from the cluster, but this node sees only {} of its {} members, so it leaves that node's "
        + "database sessions alone (the nodes that see a majority end them)", name, seen(), settings.members().size());
      return;
    }
    int ended;
    try (Connection c = Connections.open(db); PreparedStatement ps = c.prepareStatement(END_SESSIONS)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        ended = rs.getInt(1);
      }
    }
    LOG.warn("Node {} vanished from the cluster without leaving it; ended its {} database session(s), so that any job "
      + "lock it held is free and its job cannot go on", name, ended);
  }
}
