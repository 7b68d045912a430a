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
      description = "Directory for job logs, artifacts and the status snapshot (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--advertise-url", description = "URL drones use to reach this gateway (default: http://HTTP-HOST:PORT/,"
      + " with the cluster address when listening on 0.0.0.0).")
  String advertiseUrl;

  @Option(names = "--max-artifact-bytes", defaultValue = "" + GatewayOptions.DEFAULT_MAX_ARTIFACT_BYTES,
      description = "Largest artifact accepted (default: ${DEFAULT-VALUE}).")
  long maxArtifactBytes;

  @Option(names = "--artifact-versions-kept", defaultValue = "" + GatewayOptions.DEFAULT_ARTIFACT_VERSIONS_KEPT,
      description = "Versions of each artifact kept besides those a channel points to; 0 keeps all (default: ${DEFAULT-VALUE}).")
  int artifactVersionsKept;

  @Option(names = "--build-cache-max-bytes", defaultValue = "" + GatewayOptions.BuildCacheLimits.DEFAULT_MAX_TOTAL_BYTES,
      description = "Bytes the remote build cache keeps at most; retention drops the least recently used entries "
          + "beyond (default: ${DEFAULT-VALUE}).")
  long buildCacheMaxBytes;

  @Option(names = "--build-cache-unused-days", defaultValue = "14",
      description = "Days a build cache entry is kept without being written or read (default: ${DEFAULT-VALUE}).")
  long buildCacheUnusedDays;

  @Option(names = "--snapshot-interval", defaultValue = "" + GatewayOptions.DEFAULT_SNAPSHOT_INTERVAL_MS / 1000,
      description = "Seconds between status snapshots, served while the orchestrator is unreachable (default: ${DEFAULT-VALUE}).")
  long snapshotIntervalSeconds;

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

  @Option(names = "--reads-need-token", defaultValue = "auto", description = "Whether reading runs, logs, artifacts "
      + "and live events needs a viewer token: yes, no, or auto — yes unless the UI and API listen on a loopback "
      + "address (default: ${DEFAULT-VALUE}).")
  String readsNeedToken;

  @Override
  void checkSettings(ClusterSettings settings) {
    ReadAccess.parse(readsNeedToken);
  }

  @Override
  Future<?> deploy(Vertx vertx, ClusterSettings settings) {
    String host = httpHost == null || httpHost.isBlank() ? settings.bindAddress() : httpHost;
    LogStore logs = new LogStore(data.resolve("logs"));
    GatewayOptions options = GatewayOptions.defaults(data).withAddress(host, httpPort)
        .withLimits(GatewayOptions.DEFAULT_MAX_BODY_BYTES, maxArtifactBytes)
        .withRetention(artifactVersionsKept, GatewayOptions.DEFAULT_RETENTION_INTERVAL_MS)
        .withSnapshotInterval(Math.max(1, snapshotIntervalSeconds) * 1000)
        .withReadsNeedToken(ReadAccess.parse(readsNeedToken))
        .withBuildCacheLimits(new GatewayOptions.BuildCacheLimits(Math.min(Math.min(maxArtifactBytes, buildCacheMaxBytes),
            GatewayOptions.BuildCacheLimits.DEFAULT_MAX_ENTRY_BYTES),
            buildCacheMaxBytes, Math.max(1, buildCacheUnusedDays) * 24 * 60 * 60 * 1000));
    if (advertiseUrl != null && !advertiseUrl.isBlank()) {
      options = options.withAdvertisedUrl(advertiseUrl);
    } else if (host.equals("0.0.0.0") || host.equals("::")) {
      options = options.withAdvertisedUrl("http://" + settings.bindAddress() + ":" + httpPort + "/");
    }
    GatewayVerticle gateway = new GatewayVerticle(options, logs, metrics().registry(), true);
    return vertx.deployVerticle(new LogSinkVerticle(logs))
        .compose(id -> vertx.deployVerticle(gateway))
        .onSuccess(id -> System.out.println("UI and API:   http://" + host + ":" + gateway.port() + "/"));
  }
}
