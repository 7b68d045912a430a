package org.buildswarm.protocol;

/**
 * What started a run. It is also the run's priority class: a person waiting at a terminal comes
 * before a push, and a push before a nightly build.
 */
public enum Trigger {
  MANUAL(3),
  PUSH(2),
  CRON(1);

  private final int priority;

  Trigger(int priority) {
    this.priority = priority;
  }

  /** Higher runs first. */
  public int priority() {
    return priority;
  }
}
