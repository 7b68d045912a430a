package org.buildswarm.deploy;

import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.deploy.cluster.TailnetAddress;
import org.buildswarm.deploy.cluster.TlsSettings;
import picocli.CommandLine.Option;

/** How a node joins the swarm: shared by {@code swarm orchestrator}, {@code gateway} and {@code drone}. */
final class ClusterOptions {
  @Option(names = "--cluster-name", defaultValue = ClusterSettings.DEFAULT_NAME,
      description = "The swarm's name; every node of a swarm uses the same (default: ${DEFAULT-VALUE}).")
  String clusterName;

  @Option(names = "--members", split = ",", required = true,
      description = "host:port of the orchestrators and gateways (their cluster ports), comma separated.")
  List<String> members;

  @Option(names = "--bind", defaultValue = "auto",
      description = "Address to bind: auto (this host's Tailscale address), interface:NAME, or an address "
          + "(default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--cluster-port", defaultValue = "" + ClusterSettings.DEFAULT_CLUSTER_PORT,
      description = "Hazelcast port of this node; 0 binds any free port, fine for a node no --members list "
          + "names, such as a drone (default: ${DEFAULT-VALUE}).")
  int clusterPort;

  @Option(names = "--event-bus-port", defaultValue = "" + ClusterSettings.DEFAULT_EVENT_BUS_PORT,
      description = "Event-bus port of this node; 0 binds any free port and announces it to the cluster "
          + "(default: ${DEFAULT-VALUE}).")
  int eventBusPort;

  @Option(names = "--tls-cert", description = "Event-bus TLS: this node's certificate (PEM). With --tls-key and "
      + "--tls-ca, peers must present a certificate the CA signed.")
  Path tlsCertificate;

  @Option(names = "--tls-key", description = "Event-bus TLS: this node's private key (PEM).")
  Path tlsKey;

  @Option(names = "--tls-ca", description = "Event-bus TLS: the CA certificate (PEM) that signed every node's certificate.")
  Path tlsAuthority;

  @Option(names = "--credentials", description = "This node's event-bus credentials (made with `swarm credentials`): "
      + "the control plane's for an orchestrator or gateway, the drone's own for a drone. Required unless "
      + "--insecure-event-bus.")
  Path credentials;

  @Option(names = "--insecure-event-bus", description = "Run without event-bus credentials: then any process that "
      + "reaches the cluster's ports can act as any node, admin included. For trying things out only.")
  boolean insecure;

  /**
   * @param role what the credentials must be for: control (orchestrator, gateway) or drone
   * @throws IllegalArgumentException with a message for people when the credentials are missing, unreadable or wrong
   */
  ClusterSettings settings(boolean liteMember, org.buildswarm.protocol.auth.Credentials.Role role)
      throws SocketException, UnknownHostException {
    org.buildswarm.protocol.auth.Credentials loaded = null;
    if (credentials == null && !insecure) {
      throw new IllegalArgumentException("the event bus is authenticated: give --credentials FILE (`swarm credentials "
          + "init` makes the control plane's, `swarm credentials drone NAME` a drone's; docs/security.md), or "
          + "--insecure-event-bus to run without");
    }
    if (credentials != null) {
      try {
        loaded = org.buildswarm.protocol.auth.Credentials.read(credentials);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("cannot read the credentials " + credentials + ": " + e.getMessage());
      } catch (org.buildswarm.protocol.config.SettingsFile.SettingsException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      if (loaded.role() != role) {
        throw new IllegalArgumentException(credentials + " holds the credentials of "
            + (loaded.role() == org.buildswarm.protocol.auth.Credentials.Role.CONTROL ? "the control plane" : loaded.identity())
            + "; this node needs " + (role == org.buildswarm.protocol.auth.Credentials.Role.CONTROL
                ? "the control plane's (`swarm credentials init`)" : "a drone's (`swarm credentials drone NAME`)"));
      }
    }
    TlsSettings tls = null;
    int given = (tlsCertificate == null ? 0 : 1) + (tlsKey == null ? 0 : 1) + (tlsAuthority == null ? 0 : 1);
    if (given == 3) {
      tls = new TlsSettings(tlsCertificate, tlsKey, tlsAuthority);
    } else if (given != 0) {
      throw new IllegalArgumentException("event-bus TLS needs all of --tls-cert, --tls-key and --tls-ca");
    }
    return new ClusterSettings(clusterName, members, TailnetAddress.resolve(bind), clusterPort, eventBusPort, liteMember, tls,
        loaded);
  }
}
