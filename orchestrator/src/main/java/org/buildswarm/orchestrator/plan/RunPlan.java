package org.buildswarm.orchestrator.plan;

import java.util.List;

/**
 * A pipeline planned into a DAG of concrete jobs, ready to be stored and scheduled.
 *
 * @param concurrencyGroup the run's concurrency group (expressions replaced); null when it has none
 * @param cancelInProgress whether it cancels older runs of its group rather than waiting for them
 */
public record RunPlan(String pipelineName, List<PlannedJob> jobs, String concurrencyGroup, boolean cancelInProgress) {
  public RunPlan {
    jobs = List.copyOf(jobs);
  }

  public RunPlan(String pipelineName, List<PlannedJob> jobs) {
    this(pipelineName, jobs, null, false);
  }
}
