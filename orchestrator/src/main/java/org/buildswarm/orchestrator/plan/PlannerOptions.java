package org.buildswarm.orchestrator.plan;

import java.time.Duration;

/**
 * Defaults the planner gives jobs whose pipeline says nothing.
 *
 * @param defaultTimeout a job's timeout when it sets none (default {@link #DEFAULT_TIMEOUT})
 * @param defaultEstimate a job's expected duration for critical-path ranking when no history is
 *     known (default {@link #DEFAULT_ESTIMATE})
 */
public record PlannerOptions(Duration defaultTimeout, Duration defaultEstimate) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
  public static final Duration DEFAULT_ESTIMATE = Duration.ofMinutes(1);

  public static PlannerOptions defaults() {
    return new PlannerOptions(DEFAULT_TIMEOUT, DEFAULT_ESTIMATE);
  }
}
