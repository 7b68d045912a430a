package org.buildswarm.protocol.api;

import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;

/**
 * Published on every visible change so UIs and CLIs can follow along live. Either a job changed
 * ({@code jobId} set) or the run did.
 *
 * @param tests the job's test summary (of its latest attempt), when it has one
 */
public record RunEvent(
    EventType type,
    long runId,
    Long jobId,
    String jobName,
    JobState jobState,
    RunState runState,
    String drone,
    String reason,
    long at,
    TestSummary tests) {
  public RunEvent(EventType type, long runId, Long jobId, String jobName, JobState jobState, RunState runState, String drone,
      String reason, long at) {
    this(type, runId, jobId, jobName, jobState, runState, drone, reason, at, null);
  }
}
