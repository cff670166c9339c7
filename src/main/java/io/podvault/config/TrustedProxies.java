package io.podvault.config;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxies ({@code trusted_proxies}: addresses and CIDR blocks, IPv4 or IPv6) whose {@code X-Forwarded-For} says
 * who the client is. Behind a load balancer every request comes from the balancer's address; a client may send
 * {@code X-Forwarded-For} itself, so only what the trusted proxies appended is believed. Netty's subnet rule does
 * the matching; addresses are read as literals only, never looked up.
 */
public final class TrustedProxies {

  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  private final List<IpSubnetFilterRule> rules;

  private TrustedProxies(List<IpSubnetFilterRule> rules) {
    this.rules = rules;
  }

  /** Reads a comma-separated list such as {@code 10.0.0.0/8, 192.168.1.5, fd00::/8}; fails naming a bad entry. */
  public static TrustedProxies parse(String list) {
    if (list == null || list.isBlank()) {
      return NONE;
    }
    List<IpSubnetFilterRule> rules = new ArrayList<>();
    for (String entry : list.split(",")) {
      String text = entry.trim();
      if (text.isEmpty()) {
        continue;
      }
      int slash = text.indexOf('/');
      InetAddress address = NetUtil.createInetAddressFromIpAddressString(slash < 0 ? text : text.substring(0, slash));
      int maxPrefix = address == null ? 0 : address.getAddress().length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? maxPrefix : Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (address == null || prefix < 0 || prefix > maxPrefix) {
        throw new ConfigException(ConfigKeys.TRUSTED_PROXIES + ": '" + text + "' is not an IP address or a CIDR block "
          + "(such as 10.0.0.0/8 or fd00::/8)");
      }
      rules.add(new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT));
    }
    return new TrustedProxies(List.copyOf(rules));
  }

  public boolean trusts(String address) {
    InetAddress parsed = NetUtil.createInetAddressFromIpAddressString(address);
    if (parsed == null) {
      return false;
    }
    InetSocketAddress socket = new InetSocketAddress(parsed, 0);
    return rules.stream().anyMatch(rule -> rule.matches(socket));
  }

  /**
   * The client behind a request from {@code peer} that carries {@code forwardedFor} (the {@code X-Forwarded-For}
   * header, or null): the peer itself unless it is a trusted proxy; else the nearest address in the header, from its
   * end, that is not a trusted proxy. An entry that is not an address ends the walk: the hop that appended it is the
   * client as far as anyone can tell.
   */
  public String client(String peer, String forwardedFor) {
    if (forwardedFor == null || !trusts(peer)) {
      return peer;
    }
    String client = peer;
    String[] hops = forwardedFor.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (NetUtil.createInetAddressFromIpAddressString(hop) == null) {
        return client;
      }
      client = NetUtil.createInetAddressFromIpAddressString(hop).getHostAddress();
      if (!trusts(hop)) {
        return client;
      }
    }
    return client;
  }
}
