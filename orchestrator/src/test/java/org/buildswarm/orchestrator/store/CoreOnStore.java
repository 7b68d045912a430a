package org.buildswarm.orchestrator.store;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.buildswarm.orchestrator.core.CoreOptions;
import org.buildswarm.orchestrator.core.Effects;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.DroneCommand;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.RegisterDrone;

/**
 * An orchestrator's core whose recorded changes go to a real store, as the orchestrator's journal
 * writes them (in order; a group together): one orchestrator's life between two restarts.
 */
final class CoreOnStore implements Effects {
  private static final org.buildswarm.protocol.auth.Credentials CONTROL = org.buildswarm.protocol.auth.Credentials.control(
      "a store test's control secret".getBytes(java.nio.charset.StandardCharsets.UTF_8));

  final OrchestratorCore core;
  final List<AssignJob> assignments = new ArrayList<>();
  private final List<StateChange> unwritten = new ArrayList<>();
  private final AtomicLong time;

  CoreOnStore(long epoch, AtomicLong time) {
    this.time = time;
    core = new OrchestratorCore(CoreOptions.defaults(), new BestFitScheduler(), time::get, this, epoch,
        new org.buildswarm.protocol.auth.JobTokens(CONTROL));
  }

  void register(String drone) {
    core.drones().register(new RegisterDrone(drone, ProtocolVersion.CURRENT, "host-" + drone, 4, List.of(),
        DroneMode.ACTIVE, false, List.of()));
    core.schedule();
  }

  AssignJob assignmentOf(String jobName) {
    for (int i = assignments.size() - 1; i >= 0; i--) {
      if (assignments.get(i).jobName().equals(jobName)) {
        return assignments.get(i);
      }
    }
    throw new AssertionError("no assignment of " + jobName + " in " + assignments);
  }

  void finish(String jobName, JobOutcome outcome) {
    AssignJob assignment = assignmentOf(jobName);
    time.addAndGet(1_000);
    core.finished(new JobFinished(assignment.drone(), assignment.attempt(), outcome,
        outcome == JobOutcome.SUCCEEDED ? 0 : 1, outcome == JobOutcome.SUCCEEDED ? null : "check", List.of(),
        time.get() - 500, time.get(), null));
    core.schedule();
  }

  /** Writes what the core recorded since the last call, in one append (one transaction), as a journal batch would. */
  Future<Void> flush(Store store) {
    List<StateChange> batch = List.copyOf(unwritten);
    unwritten.clear();
    return store.append(batch);
  }

  @Override
  public void assign(String drone, AssignJob assignment) {
    assignments.add(assignment);
  }

  @Override
  public void command(String drone, DroneCommand command) {
  }

  @Override
  public void record(StateChange change) {
    unwritten.add(change);
  }

  @Override
  public void publish(RunEvent event) {
  }
}
