package io.podvault.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.podvault.config.ClusterSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * A Vert.x that is one node of podvault's cluster: Hazelcast (the Vert.x stack's cluster manager) finds the members
 * listed in the settings over TCP/IP, never by multicast, and the event bus binds this node's host on a port of its
 * own.
 */
public final class ClusteredVertx {

  /** The name every podvault cluster has: members of other Hazelcast clusters on the same ports are not joined. */
  static final String CLUSTER_NAME = "podvault";

  private ClusteredVertx() {
  }

  public static Future<Vertx> start(VertxBuilder builder, VertxOptions options, ClusterSettings cluster) {
    options.setEventBusOptions(new EventBusOptions().setHost(cluster.host()).setPort(0).setClusterPublicHost(cluster.host()));
    return builder.with(options).withClusterManager(new HazelcastClusterManager(hazelcast(cluster))).buildClustered();
  }

  /** Vert.x's own Hazelcast configuration (the maps and multimaps it needs), joined by TCP/IP on the settings' ports. */
  static Config hazelcast(ClusterSettings cluster) {
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
    return config;
  }
}
