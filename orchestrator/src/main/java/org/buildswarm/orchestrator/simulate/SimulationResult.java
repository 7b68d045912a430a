package org.buildswarm.orchestrator.simulate;

import java.util.List;

/**
 * The outcome of a simulation. Times in milliseconds of virtual time.
 *
 * @param lowerBoundMs the largest of the critical path, total core-time ÷ total cores, and the longest job
 * @param phasedLowerBoundMs a tighter bound that is still valid: for every time t, t plus the core-time
 *     of the jobs that cannot start before t (their needs take at least t) ÷ total cores; never
 *     below {@code lowerBoundMs}. Long sequential starts (a toolchain bootstrap) make it useful.
 * @param utilization core-time of the jobs run ÷ (makespan × total cores)
 * @param unschedulable ids of jobs no drone could run (and those that needed them), with the reason
 * @param cachedJobs jobs the cache model reused instead of running
 * @param savedCoreMs core-time the reused jobs would have taken to run
 */
public record SimulationResult(
    long makespanMs,
    long lowerBoundMs,
    long criticalPathMs,
    long workBoundMs,
    long longestJobMs,
    long phasedLowerBoundMs,
    double utilization,
    int jobsRun,
    List<String> unschedulable,
    List<Slice> timeline,
    int cachedJobs,
    long savedCoreMs) {
  public SimulationResult {
    unschedulable = List.copyOf(unschedulable);
    timeline = List.copyOf(timeline);
  }

  public SimulationResult(long makespanMs, long lowerBoundMs, long criticalPathMs, long workBoundMs, long longestJobMs,
      long phasedLowerBoundMs, double utilization, int jobsRun, List<String> unschedulable, List<Slice> timeline) {
    this(makespanMs, lowerBoundMs, criticalPathMs, workBoundMs, longestJobMs, phasedLowerBoundMs, utilization, jobsRun,
        unschedulable, timeline, 0, 0);
  }

  /** Makespan ÷ lower bound: 1.0 is a perfect schedule. */
  public double ratio() {
    return lowerBoundMs == 0 ? 1.0 : (double) makespanMs / lowerBoundMs;
  }

  /** Makespan ÷ the phased lower bound: how far from optimal at most. */
  public double phasedRatio() {
    return phasedLowerBoundMs == 0 ? 1.0 : (double) makespanMs / phasedLowerBoundMs;
  }

  /** One job's run on one drone, on these core lanes (0-based) of it. */
  public record Slice(String job, String drone, List<Integer> lanes, long startMs, long endMs) {
    public Slice {
      lanes = List.copyOf(lanes);
    }

    public int cores() {
      return lanes.size();
    }
  }
}
