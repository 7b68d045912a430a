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
 * @param caches directories the drone keeps between the project's jobs
 * @param deploy null unless it is a step of a deploy saga or the rollback of one
 * @param jobSetPath the workspace file holding the job set it emits; null when none
 * @param reports glob patterns of the JUnit XML reports its drone reads (matrix expressions substituted)
 * @param cache how its result is found by its inputs; null when it always runs
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
    List<String> secrets,
    List<String> caches,
    PlannedDeploy deploy,
    String jobSetPath,
    List<String> reports,
    PlannedCache cache) {
  public PlannedJob {
    labels = Set.copyOf(labels);
    env = Map.copyOf(env);
    steps = List.copyOf(steps);
    needs = List.copyOf(needs);
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts); // plans stored before artifacts existed
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
    caches = caches == null ? List.of() : List.copyOf(caches); // plans stored before caches existed
    reports = reports == null ? List.of() : List.copyOf(reports); // plans stored before reports existed
  }

  /** A job without a cache. */
  public PlannedJob(int index, String name, String group, int cores, Set<String> labels, Map<String, String> env,
      List<Step> steps, long timeoutMs, int retries, long retryBackoffMs, List<Integer> needs, long estimateMs,
      long criticalPathMs, List<ArtifactSpec> artifacts, List<String> secrets, List<String> caches, PlannedDeploy deploy,
      String jobSetPath, List<String> reports) {
    this(index, name, group, cores, labels, env, steps, timeoutMs, retries, retryBackoffMs, needs, estimateMs,
        criticalPathMs, artifacts, secrets, caches, deploy, jobSetPath, reports, null);
  }

  /** A job that declares no test reports. */
  public PlannedJob(int index, String name, String group, int cores, Set<String> labels, Map<String, String> env,
      List<Step> steps, long timeoutMs, int retries, long retryBackoffMs, List<Integer> needs, long estimateMs,
      long criticalPathMs, List<ArtifactSpec> artifacts, List<String> secrets, List<String> caches, PlannedDeploy deploy,
      String jobSetPath) {
    this(index, name, group, cores, labels, env, steps, timeoutMs, retries, retryBackoffMs, needs, estimateMs,
        criticalPathMs, artifacts, secrets, caches, deploy, jobSetPath, null);
  }

  /** The same job needing these jobs instead (a job set added to the run in front of it). */
  public PlannedJob withNeeds(List<Integer> newNeeds) {
    return new PlannedJob(index, name, group, cores, labels, env, steps, timeoutMs, retries, retryBackoffMs, newNeeds,
        estimateMs, criticalPathMs, artifacts, secrets, caches, deploy, jobSetPath, reports, cache);
  }

  /** The same job in a forced run: it runs whatever the cache holds. */
  public PlannedJob ignoringCache() {
    return cache == null ? this : new PlannedJob(index, name, group, cores, labels, env, steps, timeoutMs, retries,
        retryBackoffMs, needs, estimateMs, criticalPathMs, artifacts, secrets, caches, deploy, jobSetPath, reports,
        cache.forced());
  }

  /** The same job moved to another position of the run, needing these jobs. */
  public PlannedJob at(int newIndex, List<Integer> newNeeds) {
    return new PlannedJob(newIndex, name, group, cores, labels, env, steps, timeoutMs, retries, retryBackoffMs, newNeeds,
        estimateMs, criticalPathMs, artifacts, secrets, caches, deploy, jobSetPath, reports, cache);
  }

  /**
   * The state it is stored in with its new run: QUEUED when it needs nothing, else WAITING. A
   * rollback waits whatever its needs: only its saga starts it.
   */
  public org.buildswarm.protocol.JobState initialState() {
    return needs.isEmpty() && (deploy == null || !deploy.isRollback())
        ? org.buildswarm.protocol.JobState.QUEUED : org.buildswarm.protocol.JobState.WAITING;
  }

  public boolean isDeployStep() {
    return deploy != null && deploy.role() == PlannedDeploy.Role.DEPLOY;
  }
}
