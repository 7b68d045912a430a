package org.buildswarm.protocol;

/** Where a job is in its life (DESIGN.md §4). */
public enum JobState {
  /** Some of its needs have not succeeded yet. */
  WAITING,
  /** Ready: every need succeeded; waiting for a drone with room. */
  QUEUED,
  /** No registered drone could ever run it (too many cores, unknown labels); the reason says why. */
  UNSCHEDULABLE,
  /** Sent to a drone; the drone has not reported it started yet. */
  ASSIGNED,
  /** Its steps are running on a drone. */
  RUNNING,
  /**
   * A deploy step whose drone was lost mid-deploy. It is not idempotent, so it is not run again by
   * itself: it waits for its drone's report or an operator's decision (retry, failed, succeeded).
   */
  HELD,
  SUCCEEDED,
  FAILED,
  /** Not run because a job it needs failed or was cancelled. */
  SKIPPED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == SKIPPED || this == CANCELLED;
  }

  /** Holds cores on a drone. */
  public boolean isOnDrone() {
    return this == ASSIGNED || this == RUNNING;
  }
}
