package org.buildswarm.orchestrator.store.impl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StateChange;

/**
 * The statuses a batch of changes leaves each job and run in: only the last of each row is
 * written, the earlier ones being superseded within the same transaction.
 */
record LatestStatuses(Map<Long, JobStatus> jobs, Map<Long, StateChange> runs) {
  static LatestStatuses of(List<StateChange> changes) {
    Map<Long, JobStatus> jobs = new LinkedHashMap<>();
    Map<Long, StateChange> runs = new LinkedHashMap<>();
    for (StateChange change : changes) {
      if (change.jobStatus() != null && change.jobId() != null) {
        jobs.put(change.jobId(), change.jobStatus());
      }
      if (change.runStatus() != null) {
        runs.put(change.runId(), change);
      }
    }
    return new LatestStatuses(jobs, runs);
  }
}
