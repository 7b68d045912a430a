package org.buildswarm.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.buildswarm.protocol.JobState;

/**
 * A job as users see it. {@code reason} explains a state that needs explaining: why it is
 * unschedulable, skipped, failed or was retried. {@code waiting} says why a job that is not running
 * yet is not (every waiting, queued or held job has one); null once it runs or has ended.
 * {@code tests} sums the JUnit XML reports of its latest attempt; null when the job declares no
 * reports or that attempt has none (yet). It is written out as null rather than left out.
 * {@code cache} says what the cache did for a job that declares {@code cache:} (its key, and the
 * run it was taken from on a hit); null otherwise.
 */
public record JobView(
    long id,
    long runId,
    String name,
    JobState state,
    int cores,
    List<String> labels,
    List<String> needs,
    int attempt,
    String drone,
    Integer exitCode,
    String failedStep,
    List<String> logTail,
    String reason,
    Long queuedAt,
    Long startedAt,
    Long finishedAt,
    WaitReason waiting,
    @JsonInclude(JsonInclude.Include.ALWAYS) TestSummary tests,
    org.buildswarm.protocol.message.JobCacheResult cache) {
  public JobView {
    labels = labels == null ? List.of() : List.copyOf(labels);
    needs = needs == null ? List.of() : List.copyOf(needs);
    logTail = logTail == null ? List.of() : List.copyOf(logTail);
  }

  public JobView(long id, long runId, String name, JobState state, int cores, List<String> labels, List<String> needs,
      int attempt, String drone, Integer exitCode, String failedStep, List<String> logTail, String reason, Long queuedAt,
      Long startedAt, Long finishedAt, WaitReason waiting, TestSummary tests) {
    this(id, runId, name, state, cores, labels, needs, attempt, drone, exitCode, failedStep, logTail, reason, queuedAt,
        startedAt, finishedAt, waiting, tests, null);
  }

  public JobView(long id, long runId, String name, JobState state, int cores, List<String> labels, List<String> needs,
      int attempt, String drone, Integer exitCode, String failedStep, List<String> logTail, String reason, Long queuedAt,
      Long startedAt, Long finishedAt, WaitReason waiting) {
    this(id, runId, name, state, cores, labels, needs, attempt, drone, exitCode, failedStep, logTail, reason, queuedAt,
        startedAt, finishedAt, waiting, (TestSummary) null);
  }
}
