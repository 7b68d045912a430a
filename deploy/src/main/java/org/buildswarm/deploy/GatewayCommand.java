package org.buildswarm.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.gateway.GatewayOptions;
import org.buildswarm.gateway.GatewayVerticle;
import org.buildswarm.gateway.LogSinkVerticle;
import org.buildswarm.gateway.impl.LogStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code swarm gateway}: the web UI, the REST API and the job logs of a swarm (a cluster data member). */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Run a gateway: the web UI, the REST API, live events and the job log store of a swarm.")
final class GatewayCommand extends NodeCommand {
  @Option(names = "--http-host", description = "Address the UI and API listen on (default: the cluster address).")
  String httpHost;

  @Option(names = "--http-port", defaultValue = "7070", description = "Port of the UI and API (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--data", defaultValue = ".buildswarm/gateway",
      description = "Directory for job logs (default: ${DEFAULT-VALUE}).")
  Path data;

  @Override
  boolean liteMember() {
    return false;
  }

  @Override
  boolean keepsMetrics() {
    return true;
  }

  @Override
  String role() {
    return "gateway";
  }

  @Override
  Future<?> deploy(Vertx vertx, ClusterSettings settings) {
    String host = httpHost == null || httpHost.isBlank() ? settings.bindAddress() : httpHost;
    LogStore logs = new LogStore(data.resolve("logs"));
    GatewayVerticle gateway = new GatewayVerticle(GatewayOptions.defaults(data).withAddress(host, httpPort), logs,
        metrics().registry(), true);
    return vertx.deployVerticle(new LogSinkVerticle(logs))
        .compose(id -> vertx.deployVerticle(gateway))
        .onSuccess(id -> System.out.println("UI and API:   http://" + host + ":" + gateway.port() + "/"));
  }
}
