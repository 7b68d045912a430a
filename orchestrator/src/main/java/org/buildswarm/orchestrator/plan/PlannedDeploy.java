package org.buildswarm.orchestrator.plan;

/**
 * How a planned job takes part in a deploy saga.
 *
 * @param environment the environment deployed to
 * @param role a deploy step, or the rollback of one
 * @param partner for a deploy step the index of its rollback job (-1 when it declares none); for a
 *     rollback job the index of the deploy step it undoes
 * @param skipReason why this run does not deploy (its branch deploys elsewhere or nowhere); null
 *     when it does. Such a job is skipped when it would become ready.
 */
public record PlannedDeploy(
    String environment, boolean protectedEnvironment, boolean idempotent, Role role, int partner, String skipReason) {
  public enum Role {
    DEPLOY,
    ROLLBACK
  }

  public boolean isRollback() {
    return role == Role.ROLLBACK;
  }
}
