package org.buildswarm.protocol.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.message.ArtifactSpec;

/**
 * A job as written in the pipeline file, validated but not yet expanded (see {@code matrix}).
 *
 * @param timeout null when the file sets none (the orchestrator's default applies)
 * @param matrix null when the job has no matrix
 * @param artifacts files published when the steps succeed (names and paths may use matrix expressions)
 * @param secrets names of secrets the drone injects as environment variables and masks in the log
 * @param caches directories kept between the project's jobs on a drone: {@code ~/…} in the job's
 *     home or relative to the workspace
 * @param deploy null unless the job deploys (then it is a step of its environment's deploy saga)
 * @param jobSet a file the job writes in its workspace, a JSON job set added to the run when the
 *     job succeeds; null when it emits none
 * @param reports glob patterns of JUnit XML files in the workspace that the drone reads after the
 *     steps (may use matrix expressions)
 * @param cache what the job's result depends on, when it may be reused from an earlier run; null
 *     when it always runs
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
    Matrix matrix,
    List<ArtifactSpec> artifacts,
    List<String> secrets,
    List<String> caches,
    DeployDefinition deploy,
    String jobSet,
    List<String> reports,
    JobCache cache) {
  public static final int DEFAULT_CORES = 1;

  public JobDefinition(String name, SourceLocation location, List<StepDefinition> steps, List<Need> needs, int cores,
      List<String> labels, Map<String, String> env, Duration timeout, RetryPolicy retries, Matrix matrix,
      List<ArtifactSpec> artifacts, List<String> secrets, List<String> caches, DeployDefinition deploy, String jobSet,
      List<String> reports) {
    this(name, location, steps, needs, cores, labels, env, timeout, retries, matrix, artifacts, secrets, caches, deploy,
        jobSet, reports, null);
  }

  public JobDefinition {
    steps = List.copyOf(steps);
    needs = List.copyOf(needs);
    labels = List.copyOf(labels);
    env = Map.copyOf(env);
    retries = retries == null ? RetryPolicy.NONE : retries;
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
    caches = caches == null ? List.of() : List.copyOf(caches);
    reports = reports == null ? List.of() : List.copyOf(reports);
  }
}
