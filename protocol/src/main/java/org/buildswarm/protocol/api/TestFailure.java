package org.buildswarm.protocol.api;

/**
 * A test case that failed or errored, as its JUnit XML report described it (texts capped, and
 * masked for the job's secrets, by the drone).
 *
 * @param suite the test suite it was in (the innermost, when suites nest)
 * @param kind {@link #FAILURE} (an assertion failed) or {@link #ERROR} (it threw)
 * @param message the failure's {@code message}, or the first line of its text when it has none
 * @param type the failure's {@code type}: usually the exception's class
 * @param detail the failure element's text, e.g. a stack trace
 * @param output the test case's system-out then system-err (the suite's when the case has none)
 */
public record TestFailure(
    String suite, String classname, String name, String kind, String message, String type, String detail,
    String output, long durationMs) {
  public static final String FAILURE = "failure";
  public static final String ERROR = "error";
}
