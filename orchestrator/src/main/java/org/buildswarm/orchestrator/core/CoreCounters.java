package org.buildswarm.orchestrator.core;

import java.util.EnumMap;
import java.util.Map;
import org.buildswarm.protocol.JobState;

/** Monotonic counts the core keeps for metrics; read on the core's thread. */
public final class CoreCounters {
  long staleReports;
  long leasesExpired;
  long assignFailures;
  final Map<JobState, Long> jobsFinished = new EnumMap<>(JobState.class);

  /** Reports rejected because their fencing token was not the attempt's current one. */
  public long staleReports() {
    return staleReports;
  }

  /** Drones declared lost because their lease ran out. */
  public long leasesExpired() {
    return leasesExpired;
  }

  /** Assignments a drone refused or never acknowledged. */
  public long assignFailures() {
    return assignFailures;
  }

  /** Jobs that reached each terminal state. */
  public Map<JobState, Long> jobsFinished() {
    return Map.copyOf(jobsFinished);
  }
}
