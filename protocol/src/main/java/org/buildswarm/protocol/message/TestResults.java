package org.buildswarm.protocol.message;

import java.util.List;
import org.buildswarm.protocol.api.TestFailure;
import org.buildswarm.protocol.api.TestSummary;

/**
 * What a drone read from the JUnit XML reports an attempt declared: a summary, and the failures
 * (capped; {@code truncated} says when something was left out).
 */
public record TestResults(TestSummary summary, List<TestFailure> failures, boolean truncated) {
  public TestResults {
    summary = summary == null ? TestSummary.EMPTY : summary;
    failures = failures == null ? List.of() : List.copyOf(failures);
  }
}
