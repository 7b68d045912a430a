package org.buildswarm.orchestrator.plan;

import java.util.List;

/** A pipeline planned into a DAG of concrete jobs, ready to be stored and scheduled. */
public record RunPlan(String pipelineName, List<PlannedJob> jobs) {
  public RunPlan {
    jobs = List.copyOf(jobs);
  }
}
