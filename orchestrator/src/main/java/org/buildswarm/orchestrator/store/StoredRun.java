package org.buildswarm.orchestrator.store;

import java.util.List;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;

/**
 * A run as stored, with its jobs in plan order.
 *
 * @param concurrencyGroup its concurrency group; null when it has none
 */
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
    List<StoredJob> jobs,
    String concurrencyGroup,
    boolean cancelInProgress) {
  public StoredRun {
    jobs = List.copyOf(jobs);
  }

  public StoredRun(long id, String project, String pipelineName, SourceSpec source, Trigger trigger, String requestedBy,
      long createdAt, RunState state, Long finishedAt, List<StoredJob> jobs) {
    this(id, project, pipelineName, source, trigger, requestedBy, createdAt, state, finishedAt, jobs, null, false);
  }

  public StoredRun withJobs(List<StoredJob> withJobs) {
    return new StoredRun(id, project, pipelineName, source, trigger, requestedBy, createdAt, state, finishedAt, withJobs,
        concurrencyGroup, cancelInProgress);
  }
}
