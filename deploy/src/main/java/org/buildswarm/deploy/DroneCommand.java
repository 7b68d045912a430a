package org.buildswarm.deploy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.drone.DroneOptions;
import org.buildswarm.drone.HostGuardOptions;
import org.buildswarm.drone.impl.SourceFetcher;
import org.buildswarm.drone.DroneVerticle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code swarm drone}: a build host's agent (a lite cluster member: it holds no cluster data). */
@Command(name = "drone", mixinStandardHelpOptions = true,
    description = "Run a drone: it joins the swarm, offers this host's cores and runs the jobs it is given.")
final class DroneCommand extends NodeCommand {
  @Option(names = "--name", description = "Unique name in the swarm (default: the one its credentials name, or the host "
      + "name).")
  String name;

  @Option(names = "--cores", defaultValue = "0", description = "Cores offered to jobs (default: all of this host's).")
  int cores;

  @Option(names = "--labels", split = ",", description = "Labels jobs can ask for, comma separated (default: OS and "
      + "architecture).")
  List<String> labels;

  @Option(names = "--work-dir", defaultValue = ".buildswarm/drone",
      description = "Workspaces, log spool and Git mirror cache (default: ${DEFAULT-VALUE}).")
  Path workDirectory;

  @Option(names = "--ephemeral", description = "Run one job, then leave the swarm and exit.")
  boolean ephemeral;

  @Option(names = "--kill-grace", defaultValue = "10",
      description = "Seconds a stopped job's processes get between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE}).")
  int killGraceSeconds;

  @Option(names = "--keep-failed-workspaces", description = "Keep a failed job's workspace for inspection (in "
      + "WORK-DIR/kept) for --keep-failed-hours.")
  boolean keepFailedWorkspaces;

  @Option(names = "--keep-failed-hours", defaultValue = "24",
      description = "How long kept workspaces stay before the drone removes them (default: ${DEFAULT-VALUE}).")
  long keepFailedHours;

  @picocli.CommandLine.Mixin
  HostGuardSettings hostGuard;

  @picocli.CommandLine.Mixin
  SandboxSettings sandbox;

  @Option(names = "--secrets-dir", description = "One file per secret, named like the environment variable it becomes; "
      + "readable by the drone only (default: WORK-DIR/secrets).")
  Path secretsDirectory;

  @Option(names = "--mirror-cache-mb", defaultValue = "" + SourceFetcher.DEFAULT_MAX_MIRROR_BYTES / (1024 * 1024),
      description = "Size limit of the Git mirror cache shared by jobs; least recently used mirrors go first "
          + "(MiB; 0: no limit; default: ${DEFAULT-VALUE}).")
  long mirrorCacheMib;

  private String deploymentId;
  private final Promise<Void> ended = Promise.promise();

  @Override
  void checkSettings(ClusterSettings settings) {
    hostGuard.options(HostGuardOptions.defaults());
    sandbox.options(List.of());
    sandbox.logLimitBytes();
    String own = settings.credentials() == null ? null : settings.credentials().drone();
    if (own != null && name != null && !name.isBlank() && !name.equals(own)) {
      throw new IllegalArgumentException("the credentials are drone " + own + "'s, and they speak for it only; for a "
          + "drone named " + name + " make its own with `swarm credentials drone " + name + "`");
    }
  }

  @Override
  boolean liteMember() {
    return true;
  }

  @Override
  String role() {
    return "drone";
  }

  @Override
  Future<?> deploy(Vertx vertx, ClusterSettings settings) throws Exception {
    DroneOptions options = DroneOptions.defaults(workDirectory).withEphemeral(ephemeral)
        .withKillGraceMs(killGraceSeconds * 1000L)
        .withHostGuard(hostGuard.options(HostGuardOptions.defaults()));
    if (settings.credentials() != null) {
      options = options.withName(settings.credentials().drone()); // its credentials say who it is
    } else if (name != null && !name.isBlank()) {
      options = options.withName(name);
    }
    if (cores > 0) {
      options = options.withCores(cores);
    }
    if (labels != null && !labels.isEmpty()) {
      options = options.withLabels(labels);
    }
    options = options.withMirrorCacheBytes(mirrorCacheMib * 1024 * 1024);
    if (secretsDirectory != null) {
      options = options.withSecretsDirectory(secretsDirectory);
    }
    if (keepFailedWorkspaces) {
      options = options.withKeepFailedWorkspacesFor(Math.max(1, keepFailedHours) * 60 * 60 * 1000);
    }
    // What names or holds this drone's keys is the drone's, not its jobs'.
    List<Path> drones = new java.util.ArrayList<>();
    for (Path file : new Path[] {config, cluster.credentials, cluster.tlsKey}) {
      if (file != null) {
        drones.add(file);
      }
    }
    options = options.withSandbox(sandbox.options(drones)).withLogLimitBytes(sandbox.logLimitBytes());
    DroneVerticle drone = new DroneVerticle(options);
    System.out.println("drone " + options.name() + ": " + options.cores() + " cores, labels " + options.labels());
    drone.ephemeralDone().onComplete(done -> ended.tryComplete());
    return vertx.deployVerticle(drone).onSuccess(id -> deploymentId = id);
  }

  @Override
  Future<Void> ended() {
    return ended.future();
  }

  @Override
  Future<Void> beforeLeaving(Vertx vertx) {
    return deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
  }
}
