package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;

/** A run the core is tracking (mutable; owned by the core's single thread). */
final class RunEntry {
  final long id;
  final String project;
  final String pipelineName;
  final SourceSpec source;
  final Trigger trigger;
  final String requestedBy;
  final long createdAt;
  final List<JobEntry> jobs = new ArrayList<>();
  RunState state;
  Long finishedAt;
  int terminalJobs;
  /** Its concurrency group; null when it has none. */
  String concurrencyGroup;
  boolean cancelInProgress;
  /** Its deploy sagas by environment name, once started. */
  final java.util.Map<String, Saga> sagas = new java.util.HashMap<>();

  /** What this run deploys: its commit, or {@code run-<id>} when it has none. */
  String version() {
    return source != null && source.revision() != null && !source.revision().isBlank() ? source.revision() : "run-" + id;
  }

  RunEntry(long id, String project, String pipelineName, SourceSpec source, Trigger trigger, String requestedBy,
      long createdAt, RunState state, Long finishedAt) {
    this.id = id;
    this.project = project;
    this.pipelineName = pipelineName;
    this.source = source;
    this.trigger = trigger;
    this.requestedBy = requestedBy;
    this.createdAt = createdAt;
    this.state = state;
    this.finishedAt = finishedAt;
  }
}
