package org.buildswarm.orchestrator.core;

/** An environment of a project as the core sees it (mutable; owned by the core's thread). */
final class EnvironmentEntry {
  final String project;
  final String name;
  String currentVersion;
  Long currentRun;
  String previousVersion;
  Long previousRun;
  /** The run whose deploy saga holds the environment; null when none does. */
  RunEntry deploying;
  /** After a restart: the run whose deploy had started and not ended, as stored; it takes the environment back. */
  Long restoredDeployingRun;

  EnvironmentEntry(String project, String name) {
    this.project = project;
    this.name = name;
  }

  static String key(String project, String environment) {
    return project + '\u0000' + environment;
  }
}
