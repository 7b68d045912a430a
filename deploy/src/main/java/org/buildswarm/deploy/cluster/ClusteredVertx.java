package org.buildswarm.deploy.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.buildswarm.deploy.impl.ProcessMetrics;
import org.buildswarm.protocol.ProtocolCodecs;

/** Builds a clustered Vert.x for a node: Hazelcast over TCP/IP with an explicit member list, on one address. */
public final class ClusteredVertx {
  private ClusteredVertx() {}

  public static Future<Vertx> start(ClusterSettings settings) {
    return start(settings, null);
  }

  /** @param metrics where the node's Vert.x metrics go; null for none (drones: their memory is for builds) */
  public static Future<Vertx> start(ClusterSettings settings, ProcessMetrics metrics) {
    Config hazelcast = ConfigUtil.loadConfig(); // keeps the maps Vert.x needs
    hazelcast.setClusterName(settings.name());
    hazelcast.setLiteMember(settings.liteMember());
    hazelcast.setProperty("hazelcast.logging.type", "jdk");
    hazelcast.setProperty("hazelcast.phone.home.enabled", "false");
    hazelcast.setProperty("hazelcast.local.localAddress", settings.bindAddress());
    hazelcast.setProperty("hazelcast.socket.bind.any", "false");
    // Notice a silent member in seconds, not the default minute, and heal partitions soon after.
    hazelcast.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hazelcast.setProperty("hazelcast.max.no.heartbeat.seconds", "15");
    hazelcast.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    hazelcast.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    hazelcast.setProperty("hazelcast.shutdownhook.enabled", "false");
    // The swarm's metrics come from Micrometer; Hazelcast's own monitors only cost threads and memory.
    hazelcast.getMetricsConfig().setEnabled(false);
    hazelcast.setProperty("hazelcast.health.monitoring.level", "OFF");
    hazelcast.setProperty("hazelcast.slow.operation.detector.enabled", "false");
    if (settings.liteMember()) {
      // A drone holds no cluster data: a handful of Hazelcast threads is plenty, and its memory
      // belongs to the builds it runs.
      hazelcast.setProperty("hazelcast.partition.operation.thread.count", "1");
      hazelcast.setProperty("hazelcast.operation.generic.thread.count", "1");
      hazelcast.setProperty("hazelcast.event.thread.count", "1");
      hazelcast.setProperty("hazelcast.io.thread.count", "1");
      hazelcast.setProperty("hazelcast.io.input.thread.count", "1");
      hazelcast.setProperty("hazelcast.io.output.thread.count", "1");
      hazelcast.setProperty("hazelcast.response.thread.count", "1");
    }
    NetworkConfig network = hazelcast.getNetworkConfig();
    network.setPort(settings.clusterPort()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface(settings.bindAddress());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());

    EventBusOptions eventBus = new EventBusOptions()
        .setHost(settings.bindAddress())
        .setPort(settings.eventBusPort())
        .setClusterPublicHost(settings.bindAddress());
    if (settings.eventBusPort() != 0) {
      // Port 0 binds any free port; Vert.x then announces the port it got, so only a fixed one is set.
      eventBus.setClusterPublicPort(settings.eventBusPort());
    }
    if (settings.tls() != null) {
      eventBus.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(settings.tls().certificate().toString())
              .setKeyPath(settings.tls().privateKey().toString()))
          .setTrustOptions(new PemTrustOptions().addCertPath(settings.tls().authority().toString()))
          .setClientAuth(ClientAuth.REQUIRED);
    }
    VertxOptions vertxOptions = new VertxOptions().setEventBusOptions(eventBus);
    if (settings.liteMember()) {
      vertxOptions.setEventLoopPoolSize(2).setWorkerPoolSize(4).setInternalBlockingPoolSize(4);
    }
    VertxBuilder builder = metrics == null ? Vertx.builder().with(vertxOptions) : metrics.instrument(Vertx.builder(), vertxOptions);
    return builder
        .withClusterManager(new HazelcastClusterManager(hazelcast))
        .buildClustered()
        .map(vertx -> {
          ProtocolCodecs.register(vertx.eventBus(), settings.credentials() == null ? null
              : new org.buildswarm.protocol.auth.Envelopes(settings.credentials()));
          return vertx;
        });
  }
}
