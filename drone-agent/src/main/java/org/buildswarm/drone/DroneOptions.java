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
 * @param mode ACTIVE, or start PAUSED / DRAINING
 * @param ephemeral run one job, then stop
 * @param killGraceMs time between SIGTERM and SIGKILL when stopping a job (default {@value #DEFAULT_KILL_GRACE_MS})
 * @param keepFailedWorkspacesMs how long the workspace of a failed attempt is kept for inspection (in
 *     {@code kept/} of the work directory); 0 removes it at once (default)
 * @param registerRetryMs delay between registration attempts while the orchestrator is away
 *     (default {@value #DEFAULT_REGISTER_RETRY_MS})
 * @param logChunkBytes largest log chunk sent at once (default {@value #DEFAULT_LOG_CHUNK_BYTES})
 * @param logPollMs how often log spools are checked for new output (default {@value #DEFAULT_LOG_POLL_MS})
 * @param hostGuard when the host takes no new work: floors of disk and memory, pressure from other work
 *     (default {@link HostGuardOptions#defaults()})
 * @param secretsDirectory one file per secret, named like the variable (default {@code secrets} in the work directory)
 * @param mirrorCacheBytes the Git mirrors' total size limit; 0: none (default 10 GiB)
 * @param sandbox how jobs are kept away from the drone (default {@link SandboxOptions#defaults()}: bubblewrap
 *     where it works)
 * @param logLimitBytes how much output of one job is kept; 0: no limit (default {@value #DEFAULT_LOG_LIMIT_BYTES})
 */
public record DroneOptions(
    String name,
    int cores,
    List<String> labels,
    Path workDirectory,
    DroneMode mode,
    boolean ephemeral,
    long killGraceMs,
    long keepFailedWorkspacesMs,
    long registerRetryMs,
    int logChunkBytes,
    long logPollMs,
    HostGuardOptions hostGuard,
    Path secretsDirectory,
    long mirrorCacheBytes,
    SandboxOptions sandbox,
    long logLimitBytes) {
  public static final long DEFAULT_KILL_GRACE_MS = 10_000;
  public static final long DEFAULT_REGISTER_RETRY_MS = 1_000;
  public static final int DEFAULT_LOG_CHUNK_BYTES = 64 * 1024;
  public static final long DEFAULT_LOG_POLL_MS = 100;
  public static final long DEFAULT_KEEP_FAILED_MS = 24 * 60 * 60 * 1000L;
  public static final long DEFAULT_LOG_LIMIT_BYTES = 100L * 1024 * 1024;

  public DroneOptions {
    labels = List.copyOf(labels);
    mode = mode == null ? DroneMode.ACTIVE : mode;
    hostGuard = hostGuard == null ? HostGuardOptions.defaults() : hostGuard;
    secretsDirectory = secretsDirectory == null ? workDirectory.resolve("secrets") : secretsDirectory;
    sandbox = sandbox == null ? SandboxOptions.defaults() : sandbox;
  }

  /** A drone with the defaults above, named and sized for this machine. */
  public static DroneOptions defaults(Path workDirectory) {
    return new DroneOptions(defaultName(), Runtime.getRuntime().availableProcessors(), defaultLabels(), workDirectory,
        DroneMode.ACTIVE, false, DEFAULT_KILL_GRACE_MS, 0, DEFAULT_REGISTER_RETRY_MS,
        DEFAULT_LOG_CHUNK_BYTES, DEFAULT_LOG_POLL_MS, HostGuardOptions.defaults(), null,
        org.buildswarm.drone.impl.SourceFetcher.DEFAULT_MAX_MIRROR_BYTES, SandboxOptions.defaults(),
        DEFAULT_LOG_LIMIT_BYTES);
  }

  public DroneOptions withName(String newName) {
    return new DroneOptions(newName, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withCores(int newCores) {
    return new DroneOptions(name, newCores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withLabels(List<String> newLabels) {
    return new DroneOptions(name, cores, newLabels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withKillGraceMs(long grace) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, grace,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withEphemeral(boolean once) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, once, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  /** Keeps failed attempts' workspaces for {@value #DEFAULT_KEEP_FAILED_MS} ms, or not at all. */
  public DroneOptions withKeepFailedWorkspaces(boolean keep) {
    return withKeepFailedWorkspacesFor(keep ? DEFAULT_KEEP_FAILED_MS : 0);
  }

  public DroneOptions withKeepFailedWorkspacesFor(long keepMs) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withMode(DroneMode newMode) {
    return new DroneOptions(name, cores, labels, workDirectory, newMode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withHostGuard(HostGuardOptions limits) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, limits, secretsDirectory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withSecretsDirectory(Path directory) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, directory, mirrorCacheBytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withMirrorCacheBytes(long bytes) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, bytes,
        sandbox, logLimitBytes);
  }

  public DroneOptions withSandbox(SandboxOptions newSandbox) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        newSandbox, logLimitBytes);
  }

  public DroneOptions withLogLimitBytes(long bytes) {
    return new DroneOptions(name, cores, labels, workDirectory, mode, ephemeral, killGraceMs,
        keepFailedWorkspacesMs, registerRetryMs, logChunkBytes, logPollMs, hostGuard, secretsDirectory, mirrorCacheBytes,
        sandbox, bytes);
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
