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
