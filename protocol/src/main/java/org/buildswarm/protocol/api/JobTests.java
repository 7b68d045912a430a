package org.buildswarm.protocol.api;

import java.util.List;

/**
 * One attempt's test results: its summary and the test cases that failed or errored.
 *
 * @param truncated whether something was left out: failures past the cap, texts cut, report files
 *     past the file or byte cap (the summary counts what was read)
 */
public record JobTests(long jobId, int attempt, TestSummary summary, List<TestFailure> failures, boolean truncated) {
  public JobTests {
    failures = failures == null ? List.of() : List.copyOf(failures);
  }
}
