package org.buildswarm.orchestrator.store;

/**
 * A write refused because a newer orchestrator epoch exists: another orchestrator has taken over,
 * and this one must stop acting as the leader.
 */
public final class FencedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public FencedException(long mine, long newest) {
    super("epoch " + mine + " is fenced off: orchestrator epoch " + newest + " has taken over");
  }
}
