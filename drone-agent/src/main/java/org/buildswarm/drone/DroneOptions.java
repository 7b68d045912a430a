package org.buildswarm.drone;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.buildswarm.protocol.DroneMode;

/**
 * Settings of one drone.
 *
 * @param name unique in the swarm (default: the host name)
 * @param cores cores it offers to jobs (default: all the JVM sees)
 * @param labels what jobs may ask for (default: the OS and CPU architecture, e.g. {@code linux}, {@code amd64})
 * @param workDirectory workspaces, log spool and Git mirror cache live here
 * @param joinToken the secret the orchestrator expects; null means it cannot join
 * @param mode ACTIVE, or start PAUSED / DRAINING
 * @param ephemeral run one job, then stop
 * @param killGraceMs time between SIGTERM and SIGKILL when stopping a job (default {@value #DEFAULT_KILL_GRACE_MS})
 * @param keepFailedWorkspaces leave the workspace of a failed attempt for inspection
 * @param registerRetryMs delay between registration attempts while the orchestrator is away
 *     (default {@value #DEFAULT_REGISTER_RETRY_MS})
 * @param logChunkBytes largest log chunk sent at once (default {@value #DEFAULT_LOG_CHUNK_BYTES})
 * @param logPollMs how often log spools are checked for new output (default {@value #DEFAULT_LOG_POLL_MS})
 * @param hostLimits when the host takes no new work: low disk, over-subscribed (default {@link HostLimits#defaults()})
 * @param secretsDirectory one file per secret, named like the variable (default {@code secrets} in the work directory)
 */
public record DroneOptions(
    String name,
    int cores,
    List<String> labels,
    Path workDirectory,
    String joinToken,
    DroneMode mode,
    boolean ephemeral,
    long killGraceMs,
    boolean keepFailedWorkspaces,
    long registerRetryMs,
    int logChunkBytes,
    long logPollMs,
    HostLimits hostLimits,
    Path secretsDirectory) {
  public static final long DEFAULT_KILL_GRACE_MS = 10_000;
  public static final long DEFAULT_REGISTER_RETRY_MS = 1_000;
  public static final int DEFAULT_LOG_CHUNK_BYTES = 64 * 1024;
  public static final long DEFAULT_LOG_POLL_MS = 100;

  public DroneOptions {
    labels = List.copyOf(labels);
    mode = mode == null ? DroneMode.ACTIVE : mode;
    hostLimits = hostLimits == null ? HostLimits.defaults() : hostLimits;
    secretsDirectory = secretsDirectory == null ? workDirectory.resolve("secrets") : secretsDirectory;
  }

  /** A drone with the defaults above, named and sized for this machine. */
  public static DroneOptions defaults(Path workDirectory, String joinToken) {
    return new DroneOptions(defaultName(), Runtime.getRuntime().availableProcessors(), defaultLabels(), workDirectory,
        joinToken, DroneMode.ACTIVE, false, DEFAULT_KILL_GRACE_MS, false, DEFAULT_REGISTER_RETRY_MS,
        DEFAULT_LOG_CHUNK_BYTES, DEFAULT_LOG_POLL_MS, HostLimits.defaults(), null);
  }

  public DroneOptions withName(String newName) {
    return new DroneOptions(newName, cores, labels, workDirectory, joinToken, mode, ephemeral, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withCores(int newCores) {
    return new DroneOptions(name, newCores, labels, workDirectory, joinToken, mode, ephemeral, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withLabels(List<String> newLabels) {
    return new DroneOptions(name, cores, newLabels, workDirectory, joinToken, mode, ephemeral, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withKillGraceMs(long grace) {
    return new DroneOptions(name, cores, labels, workDirectory, joinToken, mode, ephemeral, grace,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withEphemeral(boolean once) {
    return new DroneOptions(name, cores, labels, workDirectory, joinToken, mode, once, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withKeepFailedWorkspaces(boolean keep) {
    return new DroneOptions(name, cores, labels, workDirectory, joinToken, mode, ephemeral, killGraceMs,
        keep, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withMode(DroneMode newMode) {
    return new DroneOptions(name, cores, labels, workDirectory, joinToken, newMode, ephemeral, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, secretsDirectory);
  }

  public DroneOptions withHostLimits(HostLimits limits) {
    return new DroneOptions(name, cores, labels, workDirectory, joinToken, mode, ephemeral, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, limits, secretsDirectory);
  }

  public DroneOptions withSecretsDirectory(Path directory) {
    return new DroneOptions(name, cores, labels, workDirectory, joinToken, mode, ephemeral, killGraceMs,
        keepFailedWorkspaces, registerRetryMs, logChunkBytes, logPollMs, hostLimits, directory);
  }

  static String defaultName() {
    try {
      String host = java.net.InetAddress.getLocalHost().getHostName();
      String shortName = host.contains(".") ? host.substring(0, host.indexOf('.')) : host;
      return shortName.replaceAll("[^A-Za-z0-9_.-]", "-");
    } catch (java.net.UnknownHostException e) {
      return "drone";
    }
  }

  static List<String> defaultLabels() {
    String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "");
    return List.of(os, arch);
  }
}
