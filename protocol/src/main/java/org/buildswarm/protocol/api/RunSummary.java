package org.buildswarm.protocol.api;

import java.util.Map;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;

/** One line of the run list: what ran, from which source and commit, how it went. Times are epoch milliseconds. */
public record RunSummary(
    long id,
    String project,
    String pipeline,
    RunState state,
    Trigger trigger,
    String requestedBy,
    long createdAt,
    Long finishedAt,
    Map<JobState, Integer> jobCounts,
    SourceSpec source) {
  public RunSummary {
    jobCounts = jobCounts == null ? Map.of() : Map.copyOf(jobCounts);
    source = source == null ? SourceSpec.none() : source;
  }
}
