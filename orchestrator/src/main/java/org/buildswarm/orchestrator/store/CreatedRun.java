package org.buildswarm.orchestrator.store;

import java.util.List;

/** Ids the store gave a new run and its jobs (in plan order). */
public record CreatedRun(long runId, List<Long> jobIds) {
  public CreatedRun {
    jobIds = List.copyOf(jobIds);
  }
}
