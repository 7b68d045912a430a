package org.buildswarm.protocol.message;

import java.util.List;
import java.util.Map;

/**
 * Everything a drone needs to run a job, independent of the pipeline file it came from.
 *
 * @param artifacts files to publish when the steps succeed
 * @param secrets names of secrets the drone reads from its own secrets directory, injects as
 *     environment variables and masks in the log; their values never travel the event bus
 * @param jobSetPath a workspace file to send back with a successful result (a JSON job set); null for none
 * @param caches directories the drone keeps between jobs of {@code cacheScope} ({@code ~/…} or workspace-relative)
 * @param cacheScope whose caches they are: the project, so one project's jobs never read another's
 * @param reports workspace glob patterns of JUnit XML reports the drone reads after the steps
 * @param cache how to find the job's result by its inputs; null when the job always runs
 */
public record JobExecution(
    List<Step> steps, Map<String, String> env, int cores, long timeoutMs, SourceSpec source,
    List<ArtifactSpec> artifacts, List<String> secrets, String jobSetPath, List<String> caches, String cacheScope,
    List<String> reports, JobCacheSpec cache) {
  public JobExecution {
    reports = reports == null ? List.of() : List.copyOf(reports);
    caches = caches == null ? List.of() : List.copyOf(caches);
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
    steps = List.copyOf(steps);
    env = env == null ? Map.of() : Map.copyOf(env);
    source = source == null ? SourceSpec.none() : source;
  }

  public JobExecution(List<Step> steps, Map<String, String> env, int cores, long timeoutMs, SourceSpec source,
      List<ArtifactSpec> artifacts, List<String> secrets, String jobSetPath, List<String> caches, String cacheScope,
      List<String> reports) {
    this(steps, env, cores, timeoutMs, source, artifacts, secrets, jobSetPath, caches, cacheScope, reports, null);
  }

  public JobExecution(List<Step> steps, Map<String, String> env, int cores, long timeoutMs, SourceSpec source,
      List<ArtifactSpec> artifacts, List<String> secrets) {
    this(steps, env, cores, timeoutMs, source, artifacts, secrets, null, null, null);
  }

  public JobExecution(List<Step> steps, Map<String, String> env, int cores, long timeoutMs, SourceSpec source,
      List<ArtifactSpec> artifacts, List<String> secrets, String jobSetPath, List<String> caches, String cacheScope) {
    this(steps, env, cores, timeoutMs, source, artifacts, secrets, jobSetPath, caches, cacheScope, null);
  }
}
