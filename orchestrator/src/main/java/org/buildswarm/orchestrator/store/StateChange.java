package org.buildswarm.orchestrator.store;

import java.util.Map;

/**
 * One entry for the append-only event log, with the job's and run's status after it, so the
 * event and the rows it changes are written in one transaction.
 *
 * @param jobStatus null when the change is about the run only
 * @param runStatus null when the run's status did not change
 */
public record StateChange(
    long at, long runId, Long jobId, String type, Map<String, Object> data, JobStatus jobStatus, RunStatus runStatus) {
  public StateChange {
    data = data == null ? Map.of() : Map.copyOf(data);
  }
}
