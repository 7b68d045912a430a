package org.buildswarm.orchestrator.core;

import org.buildswarm.protocol.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.orchestrator.plan.RunPlan;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.CancelAttempt;
import org.buildswarm.protocol.message.DroneCommand;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HeartbeatReply;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.ReportReply;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.pipeline.PipelineReader;

/** Drives an {@link OrchestratorCore} with a hand-turned clock and records what it asks for. */
final class CoreFixture implements Effects {

  final AtomicLong time = new AtomicLong(1_000_000);
  final List<AssignJob> assignments = new ArrayList<>();
  final List<String> assignmentDrones = new ArrayList<>();
  final List<CancelAttempt> cancels = new ArrayList<>();
  final List<DroneCommand> commands = new ArrayList<>();
  final List<StateChange> changes = new ArrayList<>();
  final List<RunEvent> events = new ArrayList<>();
  final OrchestratorCore core;
  private long nextRunId = 1;
  final Map<Long, StoredRun> submitted = new java.util.HashMap<>();
  private long nextJobId = 100;

  /** The swarm's control credentials: they key the job tokens the core mints. */
  static final org.buildswarm.protocol.auth.Credentials CONTROL = org.buildswarm.protocol.auth.Credentials.control(
      "a test swarm's control secret".getBytes(java.nio.charset.StandardCharsets.UTF_8));

  CoreFixture() {
    this(CoreOptions.defaults());
  }

  CoreFixture(CoreOptions options) {
    core = new OrchestratorCore(options, new BestFitScheduler(), time::get, this, 7,
        new org.buildswarm.protocol.auth.JobTokens(CONTROL));
  }

  /** Assignments the core asked to send only once what it recorded before them is stored. */
  final List<AssignJob> assignedOnceRecorded = new ArrayList<>();

  @Override
  public void assign(String drone, AssignJob assignment) {
    assignments.add(assignment);
    assignmentDrones.add(drone);
  }

  @Override
  public void assign(String drone, AssignJob assignment, boolean onceRecorded) {
    if (onceRecorded) {
      assignedOnceRecorded.add(assignment);
    }
    assign(drone, assignment);
  }

  @Override
  public void command(String drone, DroneCommand command) {
    commands.add(command);
    if (command instanceof CancelAttempt cancel) {
      cancels.add(cancel);
    }
  }

  @Override
  public void record(StateChange change) {
    changes.add(change);
  }

  /** Changes the core asked to store in one transaction, group by group. */
  final List<List<StateChange>> together = new ArrayList<>();

  @Override
  public void recordTogether(List<StateChange> group) {
    together.add(List.copyOf(group));
    group.forEach(this::record);
  }

  @Override
  public void publish(RunEvent event) {
    events.add(event);
  }

  long submit(String yaml) {
    return submit(yaml, "project", Trigger.MANUAL);
  }

  long submit(String yaml, String project, Trigger trigger) {
    StoredRun run = stored(yaml, project, trigger);
    submitted.put(run.id(), run);
    core.addRun(run);
    core.schedule();
    return run.id();
  }

  /** A push-like run of {@code commit} on {@code branch}: its branch picks where it deploys. */
  long submitOn(String yaml, String branch, String commit) {
    StoredRun run = stored(yaml, "project", Trigger.PUSH, new SourceSpec(SourceSpec.GIT, "repo", commit, branch));
    submitted.put(run.id(), run);
    core.addRun(run);
    core.schedule();
    return run.id();
  }

  StoredRun stored(String yaml, String project, Trigger trigger) {
    return stored(yaml, project, trigger, SourceSpec.none());
  }

  StoredRun stored(String yaml, String project, Trigger trigger, SourceSpec source) {
    RunPlan plan;
    try {
      plan = new Planner(PlannerOptions.defaults()).plan(new PipelineReader().read(".buildswarm.yml", yaml),
          source.branch());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    long runId = nextRunId++;
    List<StoredJob> jobs = new ArrayList<>();
    for (PlannedJob job : plan.jobs()) {
      JobState state = job.initialState();
      jobs.add(new StoredJob(nextJobId++, runId, job,
          new JobStatus(state, 0, 0, null, 0, 0, null, null, List.of(), null, null, null, null)));
    }
    return new StoredRun(runId, project, plan.pipelineName(), source, trigger, "tester", time.get(),
        RunState.QUEUED, null, jobs, plan.concurrencyGroup(), plan.cancelInProgress());
  }

  DroneRoster.Registration register(String drone, int cores, String... labels) {
    DroneRoster.Registration registration = core.drones().register(new RegisterDrone(drone, ProtocolVersion.CURRENT, "host-" + drone, cores, List.of(labels), DroneMode.ACTIVE, false, List.of()));
    core.schedule();
    return registration;
  }

  /** A heartbeat from a well-behaved drone: it reports exactly the attempts assigned to it. */
  HeartbeatReply heartbeat(String drone) {
    List<AttemptRef> running = new ArrayList<>();
    for (int i = 0; i < assignments.size(); i++) {
      AssignJob assignment = assignments.get(i);
      if (assignmentDrones.get(i).equals(drone)) {
        core.runDetail(assignment.runId()).flatMap(run -> run.jobs().stream()
            .filter(job -> job.id() == assignment.attempt().jobId() && job.state().isOnDrone()
                && drone.equals(job.drone()) && job.attempt() == assignment.attempt().attempt())
            .findFirst()).ifPresent(job -> running.add(assignment.attempt()));
      }
    }
    return heartbeatWith(drone, running.toArray(AttemptRef[]::new));
  }

  HeartbeatReply heartbeatWith(String drone, AttemptRef... running) {
    return core.drones().heartbeat(new Heartbeat(drone, core.epoch(), 0, 0.5, 1L << 30, 1L << 29, 1L << 35,
        DroneMode.ACTIVE, List.of(running), null));
  }

  /** Lets time pass in heartbeat-sized steps while these drones stay healthy. */
  void advanceWithHeartbeats(long millis, String... drones) {
    for (long passed = 0; passed < millis; passed += 1_000) {
      for (String drone : drones) {
        heartbeat(drone);
      }
      advance(Math.min(1_000, millis - passed));
    }
  }

  /** Moves the clock, lets leases and grace periods expire, and schedules. */
  void advance(long millis) {
    time.addAndGet(millis);
    core.tick();
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

  String droneOf(AssignJob assignment) {
    return assignmentDrones.get(assignments.lastIndexOf(assignment));
  }

  ReportReply finish(AssignJob assignment, JobOutcome outcome) {
    return finish(droneOf(assignment), assignment.attempt(), outcome);
  }

  ReportReply finish(String drone, AttemptRef attempt, JobOutcome outcome) {
    int exit = outcome == JobOutcome.SUCCEEDED ? 0 : 2;
    ReportReply reply = core.finished(new JobFinished(drone, attempt, outcome, exit,
        outcome == JobOutcome.FAILED ? "make test" : null, List.of("last line"), time.get(), time.get(), "because"));
    core.schedule();
    return reply;
  }

  /** Finishes every job currently assigned, with success. */
  void succeedAllAssigned() {
    for (AssignJob assignment : List.copyOf(assignments)) {
      JobView job = job(assignment.runId(), assignment.jobName());
      if (job.state().isOnDrone() && job.attempt() == assignment.attempt().attempt()) {
        finish(assignment, JobOutcome.SUCCEEDED);
      }
    }
  }

  RunDetail run(long runId) {
    return core.runDetail(runId).orElseThrow();
  }

  JobView job(long runId, String name) {
    return run(runId).jobs().stream().filter(j -> j.name().equals(name)).findFirst().orElseThrow();
  }

  /** A submitted run as the store holds it now: the latest status of each job, as recorded. */
  StoredRun asStored(long runId) {
    StoredRun original = submitted.get(runId);
    List<StoredJob> jobs = new ArrayList<>();
    for (StoredJob job : original.jobs()) {
      JobStatus status = job.status();
      for (StateChange change : changes) {
        if (Long.valueOf(job.id()).equals(change.jobId()) && change.jobStatus() != null) {
          status = change.jobStatus();
        }
      }
      jobs.add(new StoredJob(job.id(), runId, job.plan(), status));
    }
    RunState state = original.state();
    for (StateChange change : changes) {
      if (change.runId() == runId && change.runStatus() != null) {
        state = change.runStatus().state();
      }
    }
    return new StoredRun(runId, original.project(), original.pipelineName(), original.source(), original.trigger(),
        original.requestedBy(), original.createdAt(), state, null, jobs, original.concurrencyGroup(),
        original.cancelInProgress());
  }

  long count(EventType type) {
    return changes.stream().filter(change -> change.type().equals(type)).count();
  }

  long count(EventType type, long jobId) {
    return changes.stream().filter(c -> c.type().equals(type) && Long.valueOf(jobId).equals(c.jobId())).count();
  }

  static Map<String, Object> dataOf(StateChange change) {
    return change.data();
  }
}
