package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.orchestrator.plan.JobSetPlan;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.junit.jupiter.api.Test;

/** Dynamic job sets: a job emits jobs that join its run (DESIGN.md §4). */
class JobSetTest {
  static final String PIPELINE = """
      name: rebuild
      jobs:
        list-packages:
          steps: [./emit-package-graph > jobs.json]
          jobset: jobs.json
        publish:
          needs: [list-packages]
          steps: [./publish]
      """;

  static final String PACKAGES = """
      {"jobs": {
        "libc":  {"steps": ["make libc"], "cores": 2},
        "zlib":  {"needs": ["libc"], "steps": ["make zlib"]},
        "tools": {"needs": ["libc"], "steps": ["make tools"], "labels": ["linux"]}
      }}
      """;

  private final CoreFixture swarm = new CoreFixture();

  @Test
  void anEmittedJobSetJoinsTheRunAfterItsEmitterAndBeforeTheEmittersDependents() throws Exception {
    swarm.register("a", 8, "linux");
    long run = swarm.submit(PIPELINE);
    AssignJob emitter = swarm.assignmentOf("list-packages");
    assertThat(emitter.execution().jobSetPath()).isEqualTo("jobs.json");

    finishWithJobSet(emitter, PACKAGES, plan(PACKAGES));

    assertThat(swarm.job(run, "list-packages").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(onDrone(run)).containsExactly("libc");
    assertThat(swarm.job(run, "publish").needs()).containsExactlyInAnyOrder("list-packages", "libc", "zlib", "tools");
    StateChange extended = swarm.changes.stream().filter(c -> c.type() == EventType.RUN_EXTENDED).findFirst().orElseThrow();
    assertThat(extended.addedJobs()).extracting(job -> job.plan().name()).containsExactly("libc", "zlib", "tools");
    assertThat(extended.replannedJobs()).extracting(job -> job.plan().name()).containsExactly("publish");

    swarm.succeedAllAssigned();
    assertThat(onDrone(run)).containsExactlyInAnyOrder("zlib", "tools");
    assertThat(swarm.job(run, "publish").state()).isEqualTo(JobState.WAITING);
    swarm.succeedAllAssigned();
    assertThat(onDrone(run)).containsExactly("publish");
    swarm.succeedAllAssigned();
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(swarm.run(run).jobs()).hasSize(5);
  }

  @Test
  void anInvalidJobSetFailsItsEmitterWithTheFileLineAndColumnAndAddsNothing() {
    swarm.register("a", 8);
    long run = swarm.submit(PIPELINE);
    String bad = "{\"jobs\": {\n  \"libc\": {\"stepz\": [\"make\"]}\n}}\n";
    finishWithJobSet(swarm.assignmentOf("list-packages"), bad, plan(bad));

    assertThat(swarm.job(run, "list-packages").state()).isEqualTo(JobState.FAILED);
    assertThat(swarm.job(run, "list-packages").reason()).startsWith("its job set was refused: jobs.json:2:3:")
        .contains("jobs.json:2:12: unknown field \"stepz\" in job \"libc\" (did you mean \"steps\"?)");
    assertThat(swarm.job(run, "publish").state()).isEqualTo(JobState.SKIPPED);
    assertThat(swarm.run(run).jobs()).hasSize(2);
    assertThat(swarm.count(EventType.RUN_EXTENDED)).isZero();
  }

  @Test
  void aJobSetMayNotReuseANameOfTheRunNorDeploy() {
    swarm.register("a", 8);
    long run = swarm.submit(PIPELINE);
    String clash = "{\"jobs\": {\"publish\": {\"steps\": [\"x\"]}}}";
    finishWithJobSet(swarm.assignmentOf("list-packages"), clash, plan(clash));
    assertThat(swarm.job(run, "list-packages").reason()).contains("job \"publish\" is already a job of this run");

    assertThat(plan("{\"jobs\": {\"ship\": {\"steps\": [\"x\"], \"deploy\": true}}}").problem())
        .contains("jobs.json:1:36: unknown field \"deploy\" in job \"ship\"");
  }

  @Test
  void aSuccessWithoutTheDeclaredJobSetFailsTheJob() {
    swarm.register("a", 8);
    long run = swarm.submit(PIPELINE);
    swarm.finish(swarm.assignmentOf("list-packages"), JobOutcome.SUCCEEDED);
    assertThat(swarm.job(run, "list-packages").state()).isEqualTo(JobState.FAILED);
    assertThat(swarm.job(run, "list-packages").reason()).contains("declares the job set jobs.json");
  }

  @Test
  void aJobSetStoredBeforeARestartCutItsEmitterShortIsNotAddedTwice() throws Exception {
    swarm.register("a", 8, "linux");
    long run = swarm.submit(PIPELINE);
    AssignJob emitter = swarm.assignmentOf("list-packages");
    finishWithJobSet(emitter, PACKAGES, plan(PACKAGES));
    // As stored when the orchestrator died: the added jobs and the replanned publish, not the emitter's success.
    StoredRun original = swarm.stored(PIPELINE, "project", Trigger.MANUAL);
    List<StoredJob> rows = new ArrayList<>();
    rows.add(new StoredJob(swarm.job(run, "list-packages").id(), run, original.jobs().get(0).plan(),
        new JobStatus(JobState.RUNNING, 1, emitter.attempt().token(), "a", 0, 0, null, null, List.of(), null, 1L, 2L,
            null)));
    StateChange extended = swarm.changes.stream().filter(c -> c.type() == EventType.RUN_EXTENDED).findFirst().orElseThrow();
    StoredJob publish = extended.replannedJobs().get(0);
    rows.add(new StoredJob(publish.id(), run, publish.plan(), original.jobs().get(1).status()));
    rows.addAll(extended.addedJobs());
    StoredRun stored = new StoredRun(run, "project", "rebuild", original.source(), original.trigger(), "t", 0,
        RunState.RUNNING, null, rows);

    CoreFixture restarted = new CoreFixture();
    restarted.core.resumeRun(stored);
    restarted.core.drones().register(new RegisterDrone("a", ProtocolVersion.CURRENT, "h", 8,
        List.of("linux"), DroneMode.ACTIVE, false, List.of(emitter.attempt())));
    restarted.core.finished(new JobFinished("a", emitter.attempt(), JobOutcome.SUCCEEDED, 0, null, List.of(), 1, 2,
        null, PACKAGES), plan(PACKAGES));
    restarted.core.schedule();
    assertThat(restarted.job(run, "list-packages").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(restarted.run(run).jobs()).hasSize(5);
    assertThat(restarted.count(EventType.RUN_EXTENDED)).isZero();
    assertThat(restarted.job(run, "libc").state()).isEqualTo(JobState.ASSIGNED);
  }


  private void finishWithJobSet(AssignJob assignment, String text, JobSetPlan plan) {
    swarm.core.finished(new JobFinished(swarm.droneOf(assignment), assignment.attempt(), JobOutcome.SUCCEEDED, 0, null,
        List.of(), swarm.time.get(), swarm.time.get(), null, text), plan);
    swarm.core.schedule();
  }

  private static JobSetPlan plan(String text) {
    try {
      return new JobSetPlan(new Planner(PlannerOptions.defaults())
          .plan(new PipelineReader().readJobSet("jobs.json", text)).jobs(), null);
    } catch (PipelineException e) {
      return JobSetPlan.refused(e.getMessage());
    }
  }

  private java.util.List<String> onDrone(long run) {
    return swarm.run(run).jobs().stream().filter(job -> job.state().isOnDrone()).map(job -> job.name()).toList();
  }
}
