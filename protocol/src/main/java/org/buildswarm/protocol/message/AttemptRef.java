package org.buildswarm.protocol.message;

/**
 * One attempt of one job, named by the fencing token the orchestrator issued for it. Every drone
 * message about the attempt carries it; the orchestrator accepts only the current token.
 */
public record AttemptRef(long jobId, int attempt, long token) {
  @Override
  public String toString() {
    return "job " + jobId + " attempt " + attempt + " (token " + token + ")";
  }
}
