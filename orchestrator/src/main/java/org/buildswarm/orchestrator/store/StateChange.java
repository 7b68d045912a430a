package org.buildswarm.orchestrator.store;

import java.util.Map;

/**
 * One entry for the append-only event log, with the job's and run's status after it, so the
 * event and the rows it changes are written in one transaction.
 *
 * @param jobStatus null when the change is about the run only
 * @param runStatus null when the run's status did not change
 * @param attempt the attempt this change opened, updated or closed; null if none
 * @param drone a drone whose record changed; null if none
 */
public record StateChange(
    long at, long runId, Long jobId, String type, Map<String, Object> data, JobStatus jobStatus, RunStatus runStatus,
    AttemptStatus attempt, DroneStatus drone) {
  public StateChange {
    data = data == null ? Map.of() : Map.copyOf(data);
  }

  public StateChange(long at, long runId, Long jobId, String type, Map<String, Object> data, JobStatus jobStatus,
      RunStatus runStatus) {
    this(at, runId, jobId, type, data, jobStatus, runStatus, null, null);
  }
}
