package org.buildswarm.protocol.pipeline;

import java.util.List;

/**
 * {@code deploy:} on a job makes it one step of a deploy saga.
 *
 * @param environment the environment it deploys to; null means "the environment of the run's branch"
 * @param idempotent whether it may simply be run again when its drone is lost mid-deploy; when
 *     false (the default) a lost deploy waits for its drone's report or an operator's decision
 * @param rollback steps that undo it, run in reverse deploy order when a later step of the saga fails
 */
public record DeployDefinition(String environment, boolean idempotent, List<StepDefinition> rollback) {
  public DeployDefinition {
    rollback = rollback == null ? List.of() : List.copyOf(rollback);
  }
}
