package org.buildswarm.protocol.api;

import java.util.List;

/**
 * How a job attempt's tests went, from the JUnit XML reports it declared: every test case counted
 * once, as passed, failed (an assertion), errored (it threw) or skipped.
 *
 * @param durationMs the reports' own times, summed (suites run in parallel can add up to more than the job took)
 */
public record TestSummary(int total, int passed, int failed, int errored, int skipped, long durationMs) {
  public static final TestSummary EMPTY = new TestSummary(0, 0, 0, 0, 0, 0);

  public TestSummary plus(TestSummary other) {
    return other == null ? this : new TestSummary(total + other.total, passed + other.passed, failed + other.failed,
        errored + other.errored, skipped + other.skipped, durationMs + other.durationMs);
  }

  /** Whether a test failed or errored. */
  public boolean anyFailed() {
    return failed + errored > 0;
  }

  /** The sum of these summaries, leaving out nulls; null when every one is null. */
  public static TestSummary sum(List<TestSummary> summaries) {
    TestSummary total = null;
    for (TestSummary summary : summaries) {
      if (summary != null) {
        total = total == null ? summary : total.plus(summary);
      }
    }
    return total;
  }
}
