package org.buildswarm.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.buildswarm.deploy.impl.ProcessMetrics;
import org.buildswarm.deploy.impl.StateDirectory;
import org.buildswarm.drone.DroneOptions;
import org.buildswarm.drone.HostGuardOptions;
import org.buildswarm.drone.SandboxOptions;
import org.buildswarm.drone.DroneVerticle;
import org.buildswarm.gateway.GatewayOptions;
import org.buildswarm.gateway.GatewayVerticle;
import org.buildswarm.gateway.LogSinkVerticle;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.orchestrator.OrchestratorOptions;
import org.buildswarm.orchestrator.OrchestratorVerticle;
import org.buildswarm.orchestrator.metrics.SwarmMetrics;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.Stores;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.Secrets;
import org.buildswarm.protocol.api.Role;

/**
 * The whole swarm in one JVM (what {@code swarm up} runs): a non-clustered Vert.x with the
 * orchestrator on an embedded H2 file, the gateway, and one drone sized to this machine.
 */
public final class SingleHostSwarm {
  private static final Logger LOG = Logger.getLogger(SingleHostSwarm.class.getName());

  /**
   * @param cores cores of the local drone; 0 means all of this machine's
   * @param labels labels of the local drone; empty means the defaults (OS, architecture)
   * @param killGraceMs time a cancelled job's processes get between SIGTERM and SIGKILL
   * @param storeUri a PostgreSQL URI, or null for the embedded H2 file in the state directory
   * @param projects Git repositories to watch for new commits (docs/discovery.md); empty for none
   * @param hostGuard when the local drone takes no new work (default {@link HostGuardOptions#singleHostDefaults()})
   * @param sandbox how the local drone keeps jobs away from it (default {@link SandboxOptions#defaults()}); the
   *     state directory is always hidden from jobs
   * @param logLimitBytes how much output of one job is kept (default {@value DroneOptions#DEFAULT_LOG_LIMIT_BYTES})
   * @param readsNeedToken whether reads need a viewer token; null: unless {@code host} is loopback
   */
  public record Options(Path stateDirectory, String host, int port, int cores, List<String> labels, String droneName,
      long killGraceMs, String storeUri, List<org.buildswarm.orchestrator.discovery.Project> projects,
      HostGuardOptions hostGuard, SandboxOptions sandbox, long logLimitBytes, Boolean readsNeedToken) {
    public Options {
      labels = labels == null ? List.of() : List.copyOf(labels);
      projects = projects == null ? List.of() : List.copyOf(projects);
      hostGuard = hostGuard == null ? HostGuardOptions.singleHostDefaults() : hostGuard;
      sandbox = sandbox == null ? SandboxOptions.defaults() : sandbox;
    }

    public Options(Path stateDirectory, String host, int port, int cores, List<String> labels, String droneName,
        long killGraceMs, String storeUri, List<org.buildswarm.orchestrator.discovery.Project> projects,
        HostGuardOptions hostGuard) {
      this(stateDirectory, host, port, cores, labels, droneName, killGraceMs, storeUri, projects, hostGuard, null,
          DroneOptions.DEFAULT_LOG_LIMIT_BYTES, null);
    }

    public Options(Path stateDirectory, String host, int port, int cores, List<String> labels, String droneName,
        long killGraceMs, String storeUri) {
      this(stateDirectory, host, port, cores, labels, droneName, killGraceMs, storeUri, List.of(), null);
    }
  }

  private final Options options;
  private final StateDirectory state;
  private Vertx vertx;
  private ProcessMetrics metrics;
  private GatewayVerticle gateway;
  private String droneId;
  private DroneOptions droneOptions;

  public SingleHostSwarm(Options options) {
    this.options = options;
    this.state = new StateDirectory(options.stateDirectory());
  }

  public StateDirectory state() {
    return state;
  }

  /** The gateway's base URL, e.g. {@code http://127.0.0.1:7070/}. */
  public String url() {
    return "http://" + options.host() + ":" + gateway.port() + "/";
  }

  public DroneOptions drone() {
    return droneOptions;
  }

  public String storeDescription() {
    return Stores.describe(options.storeUri(), state.root());
  }

  /** Starts everything; on failure the caller must still call {@link #stop()}. */
  public Future<Void> start() {
    org.buildswarm.protocol.auth.Credentials credentials;
    String adminToken;
    try {
      state.create();
      credentials = state.credentials();
      adminToken = state.secret(StateDirectory.ADMIN_TOKEN_FILE);
    } catch (IOException e) {
      return Future.failedFuture(new IOException("cannot prepare " + state.root() + ": " + e.getMessage(), e));
    }
    metrics = new ProcessMetrics("swarm");
    vertx = metrics.instrument(Vertx.builder(), new VertxOptions()).build();
    ProtocolCodecs.register(vertx.eventBus());
    Store store = Stores.open(vertx, options.storeUri(), state.root());
    OrchestratorOptions orchestratorOptions = OrchestratorOptions.defaults(hostName(), credentials);
    if (!options.projects().isEmpty()) {
      orchestratorOptions = orchestratorOptions.withProjects(options.projects(), state.resolve("discovery"));
    }
    LogStore logs = new LogStore(state.resolve("logs"));
    // One process, one registry: the gateway's /metrics shows the orchestrator's series directly.
    gateway = new GatewayVerticle(GatewayOptions.defaults(state.root()).withAddress(options.host(), options.port())
        .withReadsNeedToken(options.readsNeedToken()), logs,
        metrics.registry(), false);
    DroneOptions drone = DroneOptions.defaults(state.resolve("drone"));
    if (options.droneName() != null) {
      drone = drone.withName(options.droneName());
    }
    if (options.cores() > 0) {
      drone = drone.withCores(options.cores());
    }
    if (!options.labels().isEmpty()) {
      drone = drone.withLabels(options.labels());
    }
    drone = drone.withKillGraceMs(options.killGraceMs()).withHostGuard(options.hostGuard())
        .withSandbox(options.sandbox().hiding(List.of(state.root()))).withLogLimitBytes(options.logLimitBytes());
    droneOptions = drone;
    DroneOptions finalDrone = drone;
    return vertx.deployVerticle(new OrchestratorVerticle(orchestratorOptions, store, new SwarmMetrics(metrics.registry())))
        .compose(id -> ensureAdminToken(store, adminToken))
        .compose(v -> vertx.deployVerticle(new LogSinkVerticle(logs)))
        .compose(id -> vertx.deployVerticle(gateway))
        .compose(id -> vertx.deployVerticle(new DroneVerticle(finalDrone)))
        .compose(id -> {
          droneId = id;
          try {
            state.writeEndpoint(new StateDirectory.Endpoint(url(), ProcessHandle.current().pid()));
            if (!inTheDefaultPlace()) {
              state.pointFrom(StateDirectory.pointerFile(System.getenv()));
            }
          } catch (IOException e) {
            return Future.failedFuture(e);
          }
          return Future.<Void>succeededFuture();
        });
  }

  /**
   * Whether the state directory is the default one here ({@code ./.buildswarm}), which commands
   * run from this directory find by themselves; another is noted in the user's state home.
   */
  private boolean inTheDefaultPlace() {
    return state.root().toAbsolutePath().normalize().equals(Path.of(StateDirectory.DEFAULT_NAME).toAbsolutePath().normalize());
  }

  /**
   * The admin token lives in a file next to the store; the store keeps only its hash. A new file
   * (the old one deleted) gets a name of its own if "admin" is taken by the token it replaced.
   */
  private static Future<Void> ensureAdminToken(Store store, String adminToken) {
    String hash = Secrets.sha256Hex(adminToken);
    return store.findToken(hash).compose(found -> found.isPresent()
        ? Future.succeededFuture()
        : store.saveToken(hash, "admin", Role.ADMIN).compose(saved -> saved
            ? Future.succeededFuture()
            : store.saveToken(hash, "admin-" + hash.substring(0, 8), Role.ADMIN).mapEmpty()));
  }

  /**
   * Stops the drone first (its running jobs are reported lost and requeued), then the rest. Blocks,
   * so call it from a thread of your own (a shutdown hook, a test), never from a Vert.x thread.
   */
  public void stop(long timeoutMs) throws Exception {
    state.removeEndpoint();
    if (!inTheDefaultPlace()) {
      state.unpointFrom(StateDirectory.pointerFile(System.getenv()));
    }
    if (vertx == null) {
      return;
    }
    if (droneId != null) {
      try {
        vertx.undeploy(droneId).toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warning("stopping the drone: " + e.getMessage());
      }
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    vertx = null;
    metrics.close();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
