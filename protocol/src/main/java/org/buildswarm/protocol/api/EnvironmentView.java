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
}
