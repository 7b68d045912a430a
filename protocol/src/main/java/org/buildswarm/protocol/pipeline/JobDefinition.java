package org.buildswarm.protocol.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A job as written in the pipeline file, validated but not yet expanded (see {@code matrix}).
 *
 * @param timeout null when the file sets none (the orchestrator's default applies)
 * @param matrix null when the job has no matrix
 */
public record JobDefinition(
    String name,
    SourceLocation location,
    List<StepDefinition> steps,
    List<Need> needs,
    int cores,
    List<String> labels,
    Map<String, String> env,
    Duration timeout,
    RetryPolicy retries,
    Matrix matrix) {
  public static final int DEFAULT_CORES = 1;

  public JobDefinition {
    steps = List.copyOf(steps);
    needs = List.copyOf(needs);
    labels = List.copyOf(labels);
    env = Map.copyOf(env);
    retries = retries == null ? RetryPolicy.NONE : retries;
  }
}
