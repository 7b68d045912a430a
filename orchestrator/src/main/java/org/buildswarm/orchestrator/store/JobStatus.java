package org.buildswarm.orchestrator.store;

import java.util.List;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.api.TestSummary;
import org.buildswarm.protocol.message.JobCacheResult;

/**
 * The changing part of a job: what the store keeps current so a restarted orchestrator can pick
 * the run up where it was.
 *
 * @param token the fencing token of the current (or last) attempt
 * @param retriesUsed failure retries spent from the job's own budget
 * @param infraRetriesUsed requeues caused by drones (lost, refused), which do not spend the budget
 * @param tests the test summary of the current (or last) attempt; null when it has none
 * @param cache what the cache did for its last finished attempt; null when it has no cache or has not finished
 */
public record JobStatus(
    JobState state,
    int attempt,
    long token,
    String drone,
    int retriesUsed,
    int infraRetriesUsed,
    Integer exitCode,
    String failedStep,
    List<String> logTail,
    String reason,
    Long queuedAt,
    Long startedAt,
    Long finishedAt,
    TestSummary tests,
    JobCacheResult cache) {
  public JobStatus {
    logTail = logTail == null ? List.of() : List.copyOf(logTail);
  }

  public JobStatus(JobState state, int attempt, long token, String drone, int retriesUsed, int infraRetriesUsed,
      Integer exitCode, String failedStep, List<String> logTail, String reason, Long queuedAt, Long startedAt,
      Long finishedAt, TestSummary tests) {
    this(state, attempt, token, drone, retriesUsed, infraRetriesUsed, exitCode, failedStep, logTail, reason, queuedAt,
        startedAt, finishedAt, tests, null);
  }

  public JobStatus(JobState state, int attempt, long token, String drone, int retriesUsed, int infraRetriesUsed,
      Integer exitCode, String failedStep, List<String> logTail, String reason, Long queuedAt, Long startedAt,
      Long finishedAt) {
    this(state, attempt, token, drone, retriesUsed, infraRetriesUsed, exitCode, failedStep, logTail, reason, queuedAt,
        startedAt, finishedAt, null);
  }
}
