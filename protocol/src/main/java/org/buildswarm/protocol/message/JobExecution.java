package org.buildswarm.protocol.message;

import java.util.List;
import java.util.Map;

/** Everything a drone needs to run a job, independent of the pipeline file it came from. */
public record JobExecution(
    List<Step> steps, Map<String, String> env, int cores, long timeoutMs, SourceSpec source) {
  public JobExecution {
    steps = List.copyOf(steps);
    env = env == null ? Map.of() : Map.copyOf(env);
    source = source == null ? SourceSpec.none() : source;
  }
}
