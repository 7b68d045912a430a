package org.buildswarm.orchestrator.core;

/**
 * Policy knobs of the orchestrator core. All times in milliseconds.
 *
 * @param heartbeatIntervalMs how often drones are told to heartbeat (default {@value #DEFAULT_HEARTBEAT_INTERVAL_MS})
 * @param leaseMs a drone silent this long is lost and its attempts requeued (default {@value #DEFAULT_LEASE_MS})
 * @param infraRetryCap requeues for drone trouble a job may have before it fails (default {@value #DEFAULT_INFRA_RETRY_CAP})
 * @param unschedulableGraceMs how long a job may stay unschedulable before it fails; drones that
 *     could run it may still join meanwhile (default {@value #DEFAULT_UNSCHEDULABLE_GRACE_MS})
 * @param groundAfterInfraFailures infrastructure failures within {@code groundWindowMs} that ground
 *     a drone (default {@value #DEFAULT_GROUND_AFTER_INFRA_FAILURES})
 * @param groundWindowMs see above (default {@value #DEFAULT_GROUND_WINDOW_MS})
 * @param groundCooldownMs how long a grounded drone gets no work (default {@value #DEFAULT_GROUND_COOLDOWN_MS})
 * @param finishedRunsKept finished runs kept in memory for fast reads; older ones are read from
 *     the store (default {@value #DEFAULT_FINISHED_RUNS_KEPT})
 */
public record CoreOptions(
    long heartbeatIntervalMs,
    long leaseMs,
    int infraRetryCap,
    long unschedulableGraceMs,
    int groundAfterInfraFailures,
    long groundWindowMs,
    long groundCooldownMs,
    int finishedRunsKept) {
  public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
  public static final long DEFAULT_LEASE_MS = 10_000;
  public static final int DEFAULT_INFRA_RETRY_CAP = 3;
  public static final long DEFAULT_UNSCHEDULABLE_GRACE_MS = 120_000;
  public static final int DEFAULT_GROUND_AFTER_INFRA_FAILURES = 3;
  public static final long DEFAULT_GROUND_WINDOW_MS = 300_000;
  public static final long DEFAULT_GROUND_COOLDOWN_MS = 120_000;
  public static final int DEFAULT_FINISHED_RUNS_KEPT = 500;

  public static CoreOptions defaults() {
    return new CoreOptions(DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_LEASE_MS, DEFAULT_INFRA_RETRY_CAP,
        DEFAULT_UNSCHEDULABLE_GRACE_MS, DEFAULT_GROUND_AFTER_INFRA_FAILURES, DEFAULT_GROUND_WINDOW_MS,
        DEFAULT_GROUND_COOLDOWN_MS, DEFAULT_FINISHED_RUNS_KEPT);
  }

  public CoreOptions withLease(long heartbeatIntervalMs, long leaseMs) {
    return new CoreOptions(heartbeatIntervalMs, leaseMs, infraRetryCap, unschedulableGraceMs, groundAfterInfraFailures,
        groundWindowMs, groundCooldownMs, finishedRunsKept);
  }

  public CoreOptions withUnschedulableGrace(long graceMs) {
    return new CoreOptions(heartbeatIntervalMs, leaseMs, infraRetryCap, graceMs, groundAfterInfraFailures,
        groundWindowMs, groundCooldownMs, finishedRunsKept);
  }
}
