package org.buildswarm.orchestrator.core;

/** One run's deploy to one environment: its steps' fate decides whether the pointer moves or rolls back. */
final class Saga {
  final RunEntry run;
  final EnvironmentEntry environment;
  final String version;
  final String previousVersion;
  /** The step that failed (or was cancelled, or given up); null while every step is fine. */
  JobEntry failedAt;
  boolean finished;

  Saga(RunEntry run, EnvironmentEntry environment, String version, String previousVersion) {
    this.run = run;
    this.environment = environment;
    this.version = version;
    this.previousVersion = previousVersion;
  }
}
