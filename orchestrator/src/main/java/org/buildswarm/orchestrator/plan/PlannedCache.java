package org.buildswarm.orchestrator.plan;

import java.util.List;

/**
 * How a planned job's result is found by its inputs (its pipeline {@code cache:}).
 *
 * @param definitionKey SHA-256 of what the pipeline says the job is, after matrix expansion: steps,
 *     environment, labels, cores, artifacts, reports, job set and the cache section itself (not its
 *     name: two jobs that are the same work share a result)
 * @param reuse false when the run was forced: the job runs and refreshes the cache
 */
public record PlannedCache(String definitionKey, List<String> inputs, List<String> env, List<String> outputs,
    boolean reuse) {
  public PlannedCache {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    env = env == null ? List.of() : List.copyOf(env);
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }

  public PlannedCache forced() {
    return new PlannedCache(definitionKey, inputs, env, outputs, false);
  }
}
