package org.buildswarm.orchestrator.store;

/**
 * A change to an environment's deploy history, stored with the event that made it.
 *
 * @param runId the run deploying (for {@link DeployState#ACTIVATED}, the run that deployed the version)
 * @param version what is being deployed: the commit, or {@code run-<id>} without one
 * @param previousVersion what the environment ran when this deploy started; null for the first
 * @param requestedBy who moved the pointer by hand; null otherwise
 */
public record DeploymentStatus(
    String project, String environment, long runId, String version, String previousVersion, DeployState state,
    long at, String requestedBy) {

  /** Where a deploy saga is. {@code SUCCEEDED} and {@code ACTIVATED} move the environment's pointer. */
  public enum DeployState {
    STARTED,
    SUCCEEDED,
    ROLLED_BACK,
    ROLLBACK_FAILED,
    /** An operator pointed the environment back at a version deployed before (instant rollback). */
    ACTIVATED;

    public boolean movesPointer() {
      return this == SUCCEEDED || this == ACTIVATED;
    }
  }
}
