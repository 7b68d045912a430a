package org.buildswarm.orchestrator.core;

import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.CancelAttempt;
import org.buildswarm.protocol.message.DroneCommand;

/**
 * What the core asks the outside world to do. The verticle sends these over the event bus and to
 * the store; tests record them.
 */
public interface Effects {
  /**
   * Send the assignment and report the drone's ack with {@link OrchestratorCore#assignAcknowledged}
   * or its absence with {@link OrchestratorCore#assignFailed}.
   */
  void assign(String drone, AssignJob assignment);

  /**
   * @param onceRecorded send it only once every change recorded so far is durable: for a deploy
   *     step that must not run twice (were the orchestrator to crash after sending it but before
   *     storing it, a restart would place the step again while its drone still ran it). If that
   *     cannot be done, report it with {@link OrchestratorCore#assignNotSent}.
   */
  default void assign(String drone, AssignJob assignment, boolean onceRecorded) {
    assign(drone, assignment);
  }

  /** A command that needs no answer ({@link CancelAttempt}, {@link org.buildswarm.protocol.message.ChangeMode}). */
  void command(String drone, DroneCommand command);

  /** Append to the durable event log. */
  void record(StateChange change);

  /**
   * Append these to the durable event log so that they are stored in one transaction: all of them
   * or none, whatever a crash cuts off (a retry resets many jobs; half of it would be a wrong run).
   */
  default void recordTogether(java.util.List<StateChange> changes) {
    changes.forEach(this::record);
  }

  /** Tell live watchers (UI, CLI). */
  void publish(RunEvent event);
}
