package org.buildswarm.protocol.pipeline;

import java.time.Duration;

/**
 * How often a job that failed by itself (non-zero exit, timeout) is tried again, and how long to
 * wait before each new try (doubling each time). Infrastructure failures do not count against it.
 */
public record RetryPolicy(int count, Duration backoff) {
  public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(10);
  public static final RetryPolicy NONE = new RetryPolicy(0, DEFAULT_BACKOFF);
}
