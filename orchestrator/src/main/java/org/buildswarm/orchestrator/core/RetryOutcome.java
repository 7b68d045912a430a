package org.buildswarm.orchestrator.core;

import java.util.List;

/**
 * What a person's retry of jobs of a run did, or why it did nothing.
 *
 * @param message why nothing was done (null when retried)
 * @param jobs the names of the jobs that run again, in plan order (empty unless retried)
 */
public record RetryOutcome(Status status, String message, List<String> jobs) {
  public enum Status {
    RETRIED,
    /** No such run, or no such job in it. */
    NOT_FOUND,
    /** The run or job is in no state to be retried; the message says why. */
    REFUSED
  }

  public RetryOutcome {
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }

  static RetryOutcome notFound(String message) {
    return new RetryOutcome(Status.NOT_FOUND, message, List.of());
  }

  static RetryOutcome refused(String message) {
    return new RetryOutcome(Status.REFUSED, message, List.of());
  }
}
