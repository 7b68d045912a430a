package org.buildswarm.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.deploy.cluster.ClusteredVertx;
import org.buildswarm.deploy.impl.ProcessMetrics;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A long-running swarm node ({@code orchestrator}, {@code gateway}, {@code drone}): joins the
 * cluster, deploys its verticles, runs until SIGTERM/Ctrl-C (or its own end), then leaves cleanly.
 */
abstract class NodeCommand implements Callable<Integer> {
  @Option(names = "--config", description = "A settings file (YAML: setting names as the long options, without --). "
      + "Environment variables BUILDSWARM_<SETTING> override it; options override both.")
  Path config;

  @Mixin
  ClusterOptions cluster;

  @Mixin
  LogSettings logging;

  private volatile Vertx vertx;
  private ProcessMetrics metrics;

  /** Deploys this node's verticles on the clustered Vert.x; the future completes when it is ready. */
  abstract Future<?> deploy(Vertx vertx, ClusterSettings settings) throws Exception;

  /** Stops what must stop before the cluster is left (e.g. a drone reporting its jobs lost). */
  Future<Void> beforeLeaving(Vertx vertx) {
    return Future.succeededFuture();
  }

  /** Completes when the node should end by itself (an ephemeral drone after its job); never by default. */
  Future<Void> ended() {
    return io.vertx.core.Promise.<Void>promise().future();
  }

  /** Refuses settings out of range before anything starts (exit status 2). */
  void checkSettings(ClusterSettings settings) {
  }

  abstract boolean liteMember();

  /** Whether this node keeps JVM and Vert.x metrics for /metrics (drones do not: their memory is for builds). */
  boolean keepsMetrics() {
    return false;
  }

  /** This process's metrics, when it {@link #keepsMetrics() keeps them}. */
  final ProcessMetrics metrics() {
    return metrics;
  }

  abstract String role();

  @Override
  public final Integer call() throws Exception {
    ClusterSettings settings;
    try {
      logging.apply(role());
      settings = cluster.settings(liteMember(), liteMember() ? org.buildswarm.protocol.auth.Credentials.Role.DRONE
          : org.buildswarm.protocol.auth.Credentials.Role.CONTROL);
      checkSettings(settings);
    } catch (Exception e) {
      System.err.println("swarm " + role() + ": " + e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try {
      metrics = keepsMetrics() ? new ProcessMetrics(role()) : null;
      vertx = ClusteredVertx.start(settings, metrics).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      deploy(vertx, settings).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("swarm " + role() + ": could not start: " + cause.getMessage());
      leave(30_000);
      return SwarmCli.UNAVAILABLE;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      int status = leave(60_000) ? SwarmCli.OK : SwarmCli.RUN_FAILED;
      stopped.countDown();
      Runtime.getRuntime().halt(status);
    }, "buildswarm-shutdown"));
    System.out.println("buildswarm " + role() + " ready on " + settings.bindAddress() + " (cluster port "
        + settings.clusterPort() + ", event bus " + settings.eventBusPort() + ")");
    System.out.flush();
    ended().toCompletionStage().toCompletableFuture().join();
    System.out.println("buildswarm " + role() + " is done; leaving the swarm");
    return leave(60_000) ? SwarmCli.OK : SwarmCli.RUN_FAILED;
  }

  /** Leaves the cluster (once); called from a thread that is not a Vert.x thread. */
  private synchronized boolean leave(long timeoutMs) {
    Vertx node = vertx;
    vertx = null;
    if (node == null) {
      return true;
    }
    try {
      beforeLeaving(node).toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      System.err.println("swarm " + role() + ": " + e.getMessage());
    }
    try {
      node.close().toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
      System.out.println("buildswarm " + role() + " stopped");
      System.out.flush();
      return true;
    } catch (Exception e) {
      System.err.println("swarm " + role() + " did not stop cleanly: " + e);
      return false;
    }
  }
}
