package org.buildswarm.protocol.api;

import java.util.List;
import org.buildswarm.protocol.JobState;

/**
 * A job as users see it. {@code reason} explains a state that needs explaining: why it is
 * unschedulable, skipped, failed or was retried. {@code waiting} says why a job that is not running
 * yet is not (every waiting, queued or held job has one); null once it runs or has ended.
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
    WaitReason waiting) {
  public JobView {
    labels = labels == null ? List.of() : List.copyOf(labels);
    needs = needs == null ? List.of() : List.copyOf(needs);
    logTail = logTail == null ? List.of() : List.copyOf(logTail);
  }
}
