package org.buildswarm.protocol.message;

import java.util.List;

/**
 * Drone → orchestrator: an attempt ended. {@code logTail} holds the last lines of the failing
 * step so the result can be shown even while the full log is still being shipped.
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
    String message) {
  public JobFinished {
    logTail = logTail == null ? List.of() : List.copyOf(logTail);
  }
}
