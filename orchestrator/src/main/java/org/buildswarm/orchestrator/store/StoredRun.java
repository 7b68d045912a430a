package org.buildswarm.orchestrator.store;

import java.util.List;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;

/** A run as stored, with its jobs in plan order. */
public record StoredRun(
    long id,
    String project,
    String pipelineName,
    SourceSpec source,
    Trigger trigger,
    String requestedBy,
    long createdAt,
    RunState state,
    Long finishedAt,
    List<StoredJob> jobs) {
  public StoredRun {
    jobs = List.copyOf(jobs);
  }
}
