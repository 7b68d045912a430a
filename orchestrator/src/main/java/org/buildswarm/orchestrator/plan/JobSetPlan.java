package org.buildswarm.orchestrator.plan;

import java.util.List;

/**
 * A job set a job emitted, planned on its own: indexes and needs count from 0 within the set. The
 * core places it after the run's jobs; the set's first jobs need the job that emitted it, and the
 * emitter's dependents need the whole set.
 *
 * @param problem why the set was refused (file, line, column and message); null when it is valid
 */
public record JobSetPlan(List<PlannedJob> jobs, String problem) {
  public JobSetPlan {
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }

  public static JobSetPlan refused(String problem) {
    return new JobSetPlan(List.of(), problem);
  }
}
