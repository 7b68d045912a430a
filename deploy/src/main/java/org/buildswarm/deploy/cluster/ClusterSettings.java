package org.buildswarm.deploy.cluster;

import java.util.List;

/**
 * How a node joins the swarm's event bus.
 *
 * @param name the cluster's name; nodes of other clusters are ignored (default {@value #DEFAULT_NAME})
 * @param members Hazelcast addresses ({@code host:port}) of the orchestrators and gateways; joining is
 *     TCP/IP to these, never multicast
 * @param bindAddress the address this node binds (resolved; see {@link TailnetAddress})
 * @param clusterPort Hazelcast's port on this node (default {@value #DEFAULT_CLUSTER_PORT}); 0 binds any free
 *     port, for nodes no member list names
 * @param eventBusPort the event bus's port on this node (default {@value #DEFAULT_EVENT_BUS_PORT}); 0 binds any
 *     free port, which the node announces to the cluster
 * @param liteMember drones join as lite members: they hold no cluster data
 * @param tls event-bus TLS with client certificates; null for none (the tailnet encrypts anyway)
 * @param credentials this node's credentials: every message it sends is sealed with them and every
 *     one it receives checked (docs/security.md); null only when asked for an unauthenticated bus
 */
public record ClusterSettings(
    String name, List<String> members, String bindAddress, int clusterPort, int eventBusPort, boolean liteMember,
    TlsSettings tls, org.buildswarm.protocol.auth.Credentials credentials) {
  public static final String DEFAULT_NAME = "buildswarm";
  public static final int DEFAULT_CLUSTER_PORT = 5701;
  public static final int DEFAULT_EVENT_BUS_PORT = 5710;

  public ClusterSettings {
    members = List.copyOf(members);
  }
}
