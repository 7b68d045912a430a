package org.buildswarm.protocol.message;

import java.util.List;
import java.util.Map;

/**
 * Everything a drone needs to run a job, independent of the pipeline file it came from.
 *
 * @param artifacts files to publish when the steps succeed
 */
public record JobExecution(
    List<Step> steps, Map<String, String> env, int cores, long timeoutMs, SourceSpec source,
    List<ArtifactSpec> artifacts) {
  public JobExecution {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    steps = List.copyOf(steps);
    env = env == null ? Map.of() : Map.copyOf(env);
    source = source == null ? SourceSpec.none() : source;
  }
}
