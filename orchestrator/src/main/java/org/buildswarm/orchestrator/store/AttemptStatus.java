package org.buildswarm.orchestrator.store;

/**
 * One attempt of a job as the store keeps it: where it ran, under which token, when, and how it
 * ended ({@code outcome}: a drone's {@code JobOutcome}, or LOST, REFUSED, REQUEUED, CANCELLED).
 */
public record AttemptStatus(
    long jobId, int attempt, long token, String drone, long assignedAt, Long startedAt, Long endedAt, String outcome,
    Integer exitCode) {

  /** This attempt as a later change of it leaves it: the later values, where it has them. */
  public AttemptStatus then(AttemptStatus later) {
    return new AttemptStatus(jobId, attempt, token, drone, assignedAt,
        later.startedAt() != null ? later.startedAt() : startedAt,
        later.endedAt() != null ? later.endedAt() : endedAt,
        later.outcome() != null ? later.outcome() : outcome,
        later.exitCode() != null ? later.exitCode() : exitCode);
  }

  /** Each attempt of a batch of changes once, as the batch leaves it, in first-seen order. */
  public static java.util.Collection<AttemptStatus> latest(java.util.List<StateChange> changes) {
    java.util.Map<String, AttemptStatus> merged = new java.util.LinkedHashMap<>();
    for (StateChange change : changes) {
      AttemptStatus attempt = change.attempt();
      if (attempt != null) {
        merged.merge(attempt.jobId() + "/" + attempt.attempt(), attempt, AttemptStatus::then);
      }
    }
    return merged.values();
  }
}
