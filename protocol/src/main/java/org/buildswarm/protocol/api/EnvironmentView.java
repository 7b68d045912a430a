package org.buildswarm.protocol.api;

import java.util.List;

/**
 * An environment of a project: what it runs now, what it ran before, whether a deploy is under way,
 * and its recent history (newest first).
 *
 * @param currentVersion null until the first deploy succeeds
 * @param deployingRun the run deploying to it now; null when none
 */
public record EnvironmentView(
    String project, String name, String currentVersion, Long currentRun, String previousVersion, Long previousRun,
    Long deployingRun, long updatedAt, List<DeploymentView> history) {
  public EnvironmentView {
    history = history == null ? List.of() : List.copyOf(history);
  }

  /**
   * These environments with the run deploying to each, from deploys started and not ended (an
   * environment first deployed to has no pointer yet, only its deploy).
   */
  public static List<EnvironmentView> withDeploying(List<EnvironmentView> environments, List<DeploymentView> started) {
    java.util.Map<String, EnvironmentView> byKey = new java.util.TreeMap<>();
    for (EnvironmentView environment : environments) {
      byKey.put(environment.project() + '\u0000' + environment.name(), environment);
    }
    for (DeploymentView deploy : started) {
      String key = deploy.project() + '\u0000' + deploy.environment();
      EnvironmentView known = byKey.get(key);
      byKey.put(key, known == null
          ? new EnvironmentView(deploy.project(), deploy.environment(), null, null, null, null, deploy.runId(),
              deploy.startedAt(), List.of())
          : new EnvironmentView(known.project(), known.name(), known.currentVersion(), known.currentRun(),
              known.previousVersion(), known.previousRun(), deploy.runId(), known.updatedAt(), known.history()));
    }
    return List.copyOf(byKey.values());
  }
}
