package org.buildswarm.protocol.api;

import java.util.Map;
import org.buildswarm.protocol.JobState;

/**
 * The orchestrator at a glance: for readiness checks, {@code swarm status} and metrics.
 *
 * @param jobsByState jobs of active runs, by state
 * @param leader the orchestrator answering (its node name)
 * @param oldestQueuedAt when the longest-waiting ready job became ready (epoch ms), null if none
 * @param storeAvailable false while the store refuses writes (events wait and are retried)
 * @param eventsPending state changes not yet written to the store
 * @param dronesAccepting online drones that take new work now
 * @param coresFree free cores on drones that take new work now (a refusing drone's cores are not free)
 * @param waitingByReason ready jobs that are not running, by why they wait
 */
public record SwarmStatus(
    String leader,
    long epoch,
    long at,
    int activeRuns,
    Map<JobState, Integer> jobsByState,
    Long oldestQueuedAt,
    int dronesOnline,
    int coresTotal,
    int coresBusy,
    long staleReports,
    long leasesExpired,
    Map<JobState, Long> jobsFinished,
    boolean storeAvailable,
    long eventsPending,
    int dronesAccepting,
    int coresFree,
    Map<WaitReason.Code, Integer> waitingByReason) {
  public SwarmStatus {
    jobsByState = jobsByState == null ? Map.of() : Map.copyOf(jobsByState);
    waitingByReason = waitingByReason == null ? Map.of() : Map.copyOf(waitingByReason);
    jobsFinished = jobsFinished == null ? Map.of() : Map.copyOf(jobsFinished);
  }
}
