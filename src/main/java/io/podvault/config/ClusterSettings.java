package io.podvault.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Clustered mode ({@code PODVAULT_CLUSTER_HOST}, {@code PODVAULT_CLUSTER_PORT}, {@code PODVAULT_CLUSTER_MEMBERS}):
 * this node's address, its Hazelcast member port, and the members' {@code host:port} of those ports. The event bus
 * binds the same host, on a port of its own.
 */
public record ClusterSettings(String host, int port, List<String> members) {

  static ClusterSettings parse(String host, Object port, String members) {
    if (!(port instanceof Number number) || number.longValue() < 1 || number.longValue() > 65_535) {
      throw new ConfigException(ConfigKeys.CLUSTER_PORT + ": must be a port between 1 and 65535, got " + port);
    }
    List<String> list = new ArrayList<>();
    for (String entry : members.split(",")) {
      String member = entry.trim();
      int colon = member.lastIndexOf(':');
      boolean valid = colon > 0 && member.substring(colon + 1).matches("\\d{1,5}")
        && Integer.parseInt(member.substring(colon + 1)) >= 1 && Integer.parseInt(member.substring(colon + 1)) <= 65_535;
      if (!valid) {
        throw new ConfigException(ConfigKeys.CLUSTER_MEMBERS + ": '" + member + "' is not host:port (the members' "
          + ConfigKeys.CLUSTER_PORT + ")");
      }
      list.add(member);
    }
    return new ClusterSettings(host, number.intValue(), List.copyOf(list));
  }

  /** How many members make a strict majority of {@link #members}. */
  public int majority() {
    return members.size() / 2 + 1;
  }
}
