package org.buildswarm.orchestrator.plan;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.message.Step;

/**
 * One concrete job of a run: a pipeline job, or one variant of its matrix.
 *
 * @param index position in the run (pipeline order, matrix variants in order)
 * @param name unique within the run: the job's name, plus {@code (v1, v2)} for a matrix variant
 * @param group the pipeline job it came from
 * @param needs indexes of the jobs it needs
 * @param estimateMs expected duration, used to rank by critical path
 * @param criticalPathMs the longest chain of estimates from this job to the end of the run
 * @param artifacts files to publish when the steps succeed (matrix expressions substituted)
 * @param secrets names of secrets the drone injects and masks
 */
public record PlannedJob(
    int index,
    String name,
    String group,
    int cores,
    Set<String> labels,
    Map<String, String> env,
    List<Step> steps,
    long timeoutMs,
    int retries,
    long retryBackoffMs,
    List<Integer> needs,
    long estimateMs,
    long criticalPathMs,
    List<ArtifactSpec> artifacts,
    List<String> secrets) {
  public PlannedJob {
    labels = Set.copyOf(labels);
    env = Map.copyOf(env);
    steps = List.copyOf(steps);
    needs = List.copyOf(needs);
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts); // plans stored before artifacts existed
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
  }
}
