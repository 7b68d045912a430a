package org.buildswarm.orchestrator.core;

import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.CancelAttempt;

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

  /** A command that needs no answer ({@link CancelAttempt}, {@link org.buildswarm.protocol.message.ChangeMode}). */
  void command(String drone, Object command);

  /** Append to the durable event log. */
  void record(StateChange change);

  /** Tell live watchers (UI, CLI). */
  void publish(RunEvent event);
}
