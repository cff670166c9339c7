package io.podvault.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import io.podvault.config.ClusterSettings;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.UUID;

/**
 * A Vert.x that is one node of podvault's cluster: Hazelcast (the Vert.x stack's cluster manager) finds the members
 * listed in the settings over TCP/IP, never by multicast, and the event bus binds this node's host on a port of its
 * own. Each start of a node has a name of its own, which its database sessions and its member record carry, so that
 * the other nodes can end the sessions of this start, and of no other, should it vanish ({@link Fence}).
 */
public final class ClusteredVertx {

  /** The name every podvault cluster has: members of other Hazelcast clusters on the same ports are not joined. */
  static final String CLUSTER_NAME = "podvault";

  /** A node that has joined: its Vert.x, and the fence that watches the other members. */
  public record Node(Vertx vertx, Fence fence) {
  }

  private ClusteredVertx() {
  }

  /** Joins the cluster; {@code db} is the database whose sessions of vanished members the fence ends. */
  public static Future<Node> start(VertxBuilder builder, VertxOptions options, ClusterSettings cluster, DbCoordinates db) {
    // Names this start's connections before any opens: a short random id, then the address an administrator knows.
    String start = UUID.randomUUID().toString().substring(0, 8);
    String sessionName = Connections.nameNode(start + " " + cluster.host() + ":" + cluster.port());
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast(cluster, sessionName));
    options.setEventBusOptions(new EventBusOptions().setHost(cluster.host()).setPort(0).setClusterPublicHost(cluster.host()));
    return builder.with(options).withClusterManager(manager).buildClustered()
      .map(vertx -> new Node(vertx, Fence.start(vertx, manager.getHazelcastInstance(), cluster, db)));
  }

  /** Vert.x's own Hazelcast configuration (the maps and multimaps it needs), joined by TCP/IP on the settings' ports. */
  static Config hazelcast(ClusterSettings cluster, String sessionName) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(CLUSTER_NAME);
    config.setProperty("hazelcast.logging.type", "slf4j");
    // Heartbeats and the time a silent member is given come from system properties, so tests can shorten them.
    config.setProperty("hazelcast.phone.home.enabled", "false");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false).setPublicAddress(cluster.host() + ":" + cluster.port());
    network.getInterfaces().setEnabled(false);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    config.setProperty("hazelcast.local.localAddress", cluster.host());
    config.getMemberAttributeConfig().setAttribute(Fence.SESSION_NAME, sessionName);
    // Counts the members this node sees; no data structure uses it, the fence and the job verticle ask it.
    config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(Fence.PROTECTION, true, cluster.majority()));
    return config;
  }
}
