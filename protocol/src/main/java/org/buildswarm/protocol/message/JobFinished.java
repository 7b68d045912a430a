package org.buildswarm.protocol.message;

import java.util.List;

/**
 * Drone → orchestrator: an attempt ended. {@code logTail} holds the last lines of the failing
 * step so the result can be shown even while the full log is still being shipped.
 *
 * @param jobSet the job set file's text when the execution named one and the job succeeded; else null
 * @param tests what the job's JUnit XML reports said; null when it declared none, or was stopped
 *     before its steps ended (cancelled, or the drone could not run it)
 * @param cache what the cache did, for a job that declares {@code cache:}; else null
 */
public record JobFinished(
    String drone,
    AttemptRef attempt,
    JobOutcome outcome,
    int exitCode,
    String failedStep,
    List<String> logTail,
    long startedAt,
    long finishedAt,
    String message,
    String jobSet,
    TestResults tests,
    JobCacheResult cache) implements FromDrone {
  public JobFinished {
    logTail = logTail == null ? List.of() : List.copyOf(logTail);
  }

  public JobFinished(String drone, AttemptRef attempt, JobOutcome outcome, int exitCode, String failedStep,
      List<String> logTail, long startedAt, long finishedAt, String message, String jobSet, TestResults tests) {
    this(drone, attempt, outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, jobSet, tests, null);
  }

  public JobFinished(String drone, AttemptRef attempt, JobOutcome outcome, int exitCode, String failedStep,
      List<String> logTail, long startedAt, long finishedAt, String message) {
    this(drone, attempt, outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, null);
  }

  public JobFinished(String drone, AttemptRef attempt, JobOutcome outcome, int exitCode, String failedStep,
      List<String> logTail, long startedAt, long finishedAt, String message, String jobSet) {
    this(drone, attempt, outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, jobSet, null);
  }
}
