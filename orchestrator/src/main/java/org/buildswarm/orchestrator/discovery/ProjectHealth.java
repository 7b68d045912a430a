package org.buildswarm.orchestrator.discovery;

import java.util.List;
import org.buildswarm.protocol.api.ProjectView;

/** How watching one project goes; kept by the discovery verticle, on its context. */
final class ProjectHealth {
  private final Project project;
  Long lastPollAt;
  Boolean lastPollOk;
  String lastError;
  Long failingSince;
  String lastCommit;
  Long nextPollAt;
  Long lastReportAt;
  String lastReportError;

  ProjectHealth(Project project) {
    this.project = project;
  }

  void polled(long at, String error) {
    lastPollAt = at;
    lastPollOk = error == null;
    lastError = error;
    failingSince = error == null ? null : failingSince == null ? at : failingSince;
    nextPollAt = at + project.pollMs();
  }

  ProjectView view(int reportsPending) {
    return new ProjectView(project.name(), project.url(),
        project.branches().stream().map(org.buildswarm.protocol.trigger.Glob::pattern).toList(),
        project.pollMs() / 1000, lastPollAt, lastPollOk, lastError, failingSince, lastCommit, nextPollAt,
        project.forge() == null ? null
            : project.forge().kind().name().toLowerCase(java.util.Locale.ROOT) + " " + project.forge().repository(),
        lastReportAt, lastReportError, reportsPending);
  }

  static List<ProjectView> views(List<ProjectHealth> all, java.util.function.ToIntFunction<String> pending) {
    return all.stream().map(health -> health.view(pending.applyAsInt(health.project.name()))).toList();
  }
}
