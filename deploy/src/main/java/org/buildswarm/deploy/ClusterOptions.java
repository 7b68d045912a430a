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
      description = "Hazelcast port of this node (default: ${DEFAULT-VALUE}).")
  int clusterPort;

  @Option(names = "--event-bus-port", defaultValue = "" + ClusterSettings.DEFAULT_EVENT_BUS_PORT,
      description = "Event-bus port of this node (default: ${DEFAULT-VALUE}).")
  int eventBusPort;

  @Option(names = "--tls-cert", description = "Event-bus TLS: this node's certificate (PEM). With --tls-key and "
      + "--tls-ca, peers must present a certificate the CA signed.")
  Path tlsCertificate;

  @Option(names = "--tls-key", description = "Event-bus TLS: this node's private key (PEM).")
  Path tlsKey;

  @Option(names = "--tls-ca", description = "Event-bus TLS: the CA certificate (PEM) that signed every node's certificate.")
  Path tlsAuthority;

  ClusterSettings settings(boolean liteMember) throws SocketException, UnknownHostException {
    TlsSettings tls = null;
    int given = (tlsCertificate == null ? 0 : 1) + (tlsKey == null ? 0 : 1) + (tlsAuthority == null ? 0 : 1);
    if (given == 3) {
      tls = new TlsSettings(tlsCertificate, tlsKey, tlsAuthority);
    } else if (given != 0) {
      throw new IllegalArgumentException("event-bus TLS needs all of --tls-cert, --tls-key and --tls-ca");
    }
    return new ClusterSettings(clusterName, members, TailnetAddress.resolve(bind), clusterPort, eventBusPort, liteMember, tls);
  }
}
