package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.HeartbeatReply;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.ReportReply;
import org.junit.jupiter.api.Test;

class OrchestratorCoreTest {
  private static final String DIAMOND = """
      jobs:
        a: {steps: [make a]}
        b: {needs: a, cores: 2, steps: [make b]}
        c: {needs: a, cores: 3, steps: [make c]}
        d: {needs: [b, c], steps: [make d]}
      """;

  @Test
  void aJobWhoseStepsEndedGivesItsCoresBackButItsDependentsWaitForItsFinish() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("""
        jobs:
          build: {cores: 4, artifacts: [{name: app, path: out/app}], steps: [make]}
          other: {cores: 4, steps: [make other]}
          test: {needs: build, cores: 4, steps: [make test]}
        """);
    AssignJob build = f.assignmentOf("build");
    assertThat(f.assignments).extracting(AssignJob::jobName).containsExactly("build");
    f.core.started(new JobStarted("d1", build.attempt(), f.time.get()));

    ReportReply reply = f.core.stepsEnded(new org.buildswarm.protocol.message.JobStepsEnded("d1", build.attempt()));
    f.core.schedule();
    assertThat(reply.accepted()).isTrue();
    assertThat(f.assignments).as("its 4 cores went to other work while it uploads")
        .extracting(AssignJob::jobName).containsExactly("build", "other");
    assertThat(f.job(run, "build").state()).isEqualTo(JobState.RUNNING);
    assertThat(f.job(run, "test").state()).as("not before its need has finished").isEqualTo(JobState.WAITING);

    f.finish(build, JobOutcome.SUCCEEDED);
    assertThat(f.job(run, "test").state()).as("the cores are other's now").isEqualTo(JobState.QUEUED);
    f.finish(f.assignmentOf("other"), JobOutcome.SUCCEEDED);
    assertThat(f.assignments).extracting(AssignJob::jobName).containsExactly("build", "other", "test");

    // One overtaken by its own finish report, and one from a drone the attempt is not on, change nothing.
    assertThat(f.core.stepsEnded(new org.buildswarm.protocol.message.JobStepsEnded("d1", build.attempt()))
        .accepted()).isTrue();
    assertThat(f.core.stepsEnded(new org.buildswarm.protocol.message.JobStepsEnded("d2",
        f.assignmentOf("test").attempt())).accepted()).isFalse();
    f.core.schedule();
    assertThat(f.assignments).hasSize(3);
  }

  @Test
  void diamondRunsInDependencyOrderAndSucceeds() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 8);
    long run = f.submit(DIAMOND);
    assertThat(f.assignments).extracting(AssignJob::jobName).containsExactly("a");
    assertThat(f.job(run, "d").state()).isEqualTo(JobState.WAITING);

    f.finish(f.assignmentOf("a"), JobOutcome.SUCCEEDED);
    assertThat(f.assignments).extracting(AssignJob::jobName).containsExactly("a", "b", "c");

    f.finish(f.assignmentOf("b"), JobOutcome.SUCCEEDED);
    assertThat(f.job(run, "d").state()).isEqualTo(JobState.WAITING);
    f.finish(f.assignmentOf("c"), JobOutcome.SUCCEEDED);
    f.finish(f.assignmentOf("d"), JobOutcome.SUCCEEDED);

    assertThat(f.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(f.count(EventType.JOB_SUCCEEDED)).isEqualTo(4);
    assertThat(f.count(EventType.RUN_SUCCEEDED)).isEqualTo(1);
  }

  @Test
  void aJobTokenActsForItsAttemptOnlyWhileThatAttemptIsCurrent() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("""
        jobs:
          package: {steps: [make], artifacts: [dist/app.tar.gz, {path: out/app.jar, name: app-jar}]}
        """);
    AssignJob assignment = f.assignmentOf("package");
    assertThat(assignment.execution().artifacts()).extracting(a -> a.name()).containsExactly("app.tar.gz", "app-jar");
    assertThat(f.core.verifyJobToken(assignment.jobToken())).hasValueSatisfying(info -> {
      assertThat(info.runId()).isEqualTo(run);
      assertThat(info.attempt()).isEqualTo(1);
      assertThat(info.artifacts()).containsExactly("app.tar.gz", "app-jar");
    });
    String token = assignment.jobToken();
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "00".repeat(16);
    assertThat(f.core.verifyJobToken(forged)).isEmpty();
    assertThat(f.core.verifyJobToken(token.replaceFirst("\\.1\\.", ".2."))).as("another attempt's").isEmpty();
    assertThat(f.core.verifyJobToken("garbage")).isEmpty();
    assertThat(new org.buildswarm.protocol.auth.JobTokens(org.buildswarm.protocol.auth.Credentials.newSwarm(
        new java.security.SecureRandom())).verify(token)).as("another swarm's key").isEmpty();

    f.finish(assignment, JobOutcome.SUCCEEDED);
    assertThat(f.core.verifyJobToken(token)).as("its attempt is over").isEmpty();
  }

  @Test
  void failedJobSkipsEverythingDownstreamAndFailsTheRun() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 8);
    long run = f.submit(DIAMOND);
    f.finish(f.assignmentOf("a"), JobOutcome.SUCCEEDED);
    f.finish(f.assignmentOf("b"), JobOutcome.FAILED);
    assertThat(f.job(run, "b").state()).isEqualTo(JobState.FAILED);
    assertThat(f.job(run, "b").reason()).contains("step \"make test\" exited with 2");
    assertThat(f.job(run, "b").logTail()).containsExactly("last line");
    assertThat(f.job(run, "d").state()).isEqualTo(JobState.SKIPPED);
    assertThat(f.job(run, "d").reason()).isEqualTo("needs \"b\", which failed");
    assertThat(f.run(run).run().state()).isEqualTo(RunState.RUNNING);
    f.finish(f.assignmentOf("c"), JobOutcome.SUCCEEDED);
    assertThat(f.run(run).run().state()).isEqualTo(RunState.FAILED);
  }

  @Test
  void neverPlacesMoreCoresThanADroneHas() {
    CoreFixture f = new CoreFixture();
    f.register("small", 4);
    f.submit("""
        jobs:
          a: {cores: 3, steps: [x]}
          b: {cores: 2, steps: [x]}
          c: {cores: 1, steps: [x]}
          d: {cores: 1, steps: [x]}
        """);
    int placed = f.assignments.stream().mapToInt(a -> a.execution().cores()).sum();
    assertThat(placed).isLessThanOrEqualTo(4);
    assertThat(f.core.readyJobs()).isEqualTo(4 - f.assignments.size());
  }

  @Test
  void jobTooBigForEveryDroneIsUnschedulableWithTheReasonThenFails() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("jobs:\n  huge: {cores: 64, steps: [x]}\n  gpu: {labels: [gpu], steps: [x]}\n");
    assertThat(f.job(run, "huge").state()).isEqualTo(JobState.UNSCHEDULABLE);
    assertThat(f.job(run, "huge").reason()).isEqualTo("needs 64 cores; the largest drone has 4");
    assertThat(f.job(run, "gpu").reason()).isEqualTo("no registered drone has the labels [gpu]");

    f.advance(CoreOptions.DEFAULT_UNSCHEDULABLE_GRACE_MS);
    f.heartbeat("d1");
    assertThat(f.job(run, "huge").state()).isEqualTo(JobState.FAILED);
    assertThat(f.job(run, "huge").reason()).startsWith("unschedulable for 2m: needs 64 cores");
    assertThat(f.run(run).run().state()).isEqualTo(RunState.FAILED);
  }

  @Test
  void unschedulableJobIsPlacedWhenAFittingDroneJoins() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("jobs:\n  big: {cores: 16, steps: [x]}\n");
    assertThat(f.job(run, "big").state()).isEqualTo(JobState.UNSCHEDULABLE);
    f.register("d2", 32);
    assertThat(f.job(run, "big").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(f.job(run, "big").drone()).isEqualTo("d2");
    assertThat(f.job(run, "big").reason()).isNull();
  }

  @Test
  void silentDroneIsLostAndItsJobRequeuedWithANewTokenExactlyOnce() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    AssignJob first = f.assignmentOf("a");
    f.register("d2", 4);

    f.advance(CoreOptions.DEFAULT_LEASE_MS - 1);
    f.heartbeat("d2");
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(f.count(EventType.DRONE_LOST)).isZero();
    f.advance(1);
    assertThat(f.count(EventType.DRONE_LOST)).isEqualTo(1);
    for (int i = 0; i < 10; i++) {
      f.heartbeat("d2");
      f.advance(2_000);
    }
    assertThat(f.count(EventType.DRONE_LOST)).as("d1 is lost once, d2 kept its lease").isEqualTo(1);
    assertThat(f.count(EventType.JOB_REQUEUED)).isEqualTo(1);

    AssignJob second = f.assignmentOf("a");
    assertThat(second.attempt().token()).isNotEqualTo(first.attempt().token());
    assertThat(second.attempt().attempt()).isEqualTo(2);
    assertThat(f.droneOf(second)).isEqualTo("d2");
    assertThat(f.job(run, "a").reason()).isNull();
    assertThat(f.core.counters().leasesExpired()).isEqualTo(1);
  }

  @Test
  void everyAttemptIsOpenedAndClosedWithItsOutcome() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.register("d2", 4);
    long run = f.submit("jobs:\n  a: {retries: {count: 1, backoff: 1s}, steps: [x]}\n");
    long job = f.job(run, "a").id();
    AssignJob first = f.assignmentOf("a");
    f.core.started(new JobStarted(f.droneOf(first), first.attempt(), f.time.get()));
    f.finish(first, JobOutcome.FAILED);
    f.advanceWithHeartbeats(1_000, "d1", "d2");
    AssignJob second = f.assignmentOf("a");
    f.finish(second, JobOutcome.SUCCEEDED);
    List<org.buildswarm.orchestrator.store.AttemptStatus> attempts = f.changes.stream()
        .map(org.buildswarm.orchestrator.store.StateChange::attempt).filter(java.util.Objects::nonNull).toList();
    assertThat(attempts).extracting(a -> a.attempt() + ":" + a.outcome())
        .containsExactly("1:null", "1:null", "1:FAILED", "2:null", "2:SUCCEEDED");
    assertThat(attempts).allSatisfy(a -> assertThat(a.jobId()).isEqualTo(job));
    assertThat(attempts.get(2).exitCode()).isEqualTo(2);
    assertThat(attempts.get(4).drone()).isEqualTo(f.droneOf(second));
  }

  @Test
  void anAttemptsTestResultsAreShownWithItsJobStoredWithItsReportAndGoneWhenTheNextAttemptStarts() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.register("d2", 4);
    long run = f.submitOn("jobs:\n  a: {retries: {count: 1, backoff: 1s}, steps: [x], reports: [\"out/*.xml\"]}\n"
        + "  b: {needs: a, steps: [y]}\n", "main", "c1");
    AssignJob first = f.assignmentOf("a");
    assertThat(first.execution().reports()).containsExactly("out/*.xml");
    org.buildswarm.protocol.api.TestSummary summary = new org.buildswarm.protocol.api.TestSummary(4, 2, 1, 1, 0, 90);
    org.buildswarm.protocol.message.TestResults results = new org.buildswarm.protocol.message.TestResults(summary,
        List.of(new org.buildswarm.protocol.api.TestFailure("s", "A", "b", "failure", "no", "", "", "", 1)), false);
    f.core.finished(new org.buildswarm.protocol.message.JobFinished(f.droneOf(first), first.attempt(),
        JobOutcome.FAILED, 1, "x", List.of(), f.time.get(), f.time.get(), "failed", null, results));
    assertThat(f.job(run, "a").tests()).isEqualTo(summary);
    assertThat(f.job(run, "b").tests()).isNull();
    assertThat(f.run(run).tests()).isEqualTo(summary);
    org.buildswarm.orchestrator.store.StateChange retry = f.changes.stream()
        .filter(change -> change.type() == EventType.JOB_RETRY_SCHEDULED).findFirst().orElseThrow();
    assertThat(retry.tests()).isEqualTo(new org.buildswarm.orchestrator.store.AttemptTests(first.attempt().jobId(), 1,
        results));
    assertThat(retry.jobStatus().tests()).isEqualTo(summary);
    assertThat(f.changes.stream().filter(change -> change.tests() != null)).hasSize(1);

    // What a restarted orchestrator shows comes from the stored status.
    CoreFixture restarted = new CoreFixture();
    restarted.core.resumeRuns(List.of(f.asStored(run)));
    assertThat(restarted.run(run).jobs().get(0).tests()).isEqualTo(summary);

    f.advanceWithHeartbeats(1_000, "d1", "d2");
    AssignJob second = f.assignmentOf("a");
    assertThat(second.attempt().attempt()).isEqualTo(2);
    assertThat(f.job(run, "a").tests()).as("the new attempt has none yet").isNull();
    assertThat(f.run(run).tests()).isNull();
  }

  @Test
  void lateReportFromALostDroneIsRejectedAsStaleAndCounted() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    AssignJob onD1 = f.assignmentOf("a");
    f.register("d2", 4);
    for (int i = 0; i < 6; i++) {
      f.advance(2_000);
      f.heartbeat("d2");
    }
    AssignJob onD2 = f.assignmentOf("a");
    assertThat(f.droneOf(onD2)).isEqualTo("d2");

    ReportReply late = f.finish(onD1, JobOutcome.SUCCEEDED);
    assertThat(late.accepted()).isFalse();
    assertThat(f.core.counters().staleReports()).isEqualTo(1);
    assertThat(f.count(EventType.REPORT_STALE)).isEqualTo(1);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.ASSIGNED);

    assertThat(f.finish(onD2, JobOutcome.SUCCEEDED).accepted()).isTrue();
    assertThat(f.finish(onD2, JobOutcome.SUCCEEDED).accepted()).as("a resent report is acked").isTrue();
    assertThat(f.count(EventType.JOB_SUCCEEDED)).isEqualTo(1);
    assertThat(f.core.counters().staleReports()).isEqualTo(1);
  }

  @Test
  void returningDroneIsToldToReregisterAndToKillItsStaleAttempts() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.submit("jobs:\n  a: {steps: [x]}\n");
    AssignJob onD1 = f.assignmentOf("a");
    f.advance(CoreOptions.DEFAULT_LEASE_MS);
    HeartbeatReply reply = f.heartbeatWith("d1", onD1.attempt());
    assertThat(reply.reregister()).isTrue();
    DroneRoster.Registration again = f.core.drones().register(new RegisterDrone("d1", ProtocolVersion.CURRENT, "h", 4, List.of(), DroneMode.ACTIVE, false, List.of(onD1.attempt())));
    assertThat(again.accepted().kill()).containsExactly(onD1.attempt());
  }

  @Test
  void heartbeatNamesAttemptsThatAreNoLongerCurrent() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.submit("jobs:\n  a: {steps: [x]}\n");
    AttemptRef current = f.assignmentOf("a").attempt();
    AttemptRef bogus = new AttemptRef(999, 1, 12345);
    assertThat(f.heartbeatWith("d1", current, bogus).kill()).containsExactly(bogus);
  }

  @Test
  void droneThatNoLongerReportsAnAttemptGivesItBack() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    f.advance(1_000);
    f.heartbeatWith("d1");
    assertThat(f.job(run, "a").state()).as("a fresh assignment may be missing from a heartbeat").isEqualTo(JobState.ASSIGNED);
    f.advance(5_000);
    f.heartbeatWith("d1");
    assertThat(f.count(EventType.JOB_REQUEUED)).isEqualTo(1);
  }

  @Test
  void refusedAssignmentGoesToAnotherDrone() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.register("d2", 8);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    AssignJob first = f.assignmentOf("a");
    String firstDrone = f.droneOf(first);
    f.core.assignAcknowledged(firstDrone, first.attempt(), AssignReply.refuse(firstDrone, "draining"));
    f.core.schedule();
    AssignJob second = f.assignmentOf("a");
    assertThat(f.droneOf(second)).isNotEqualTo(firstDrone);
    assertThat(f.job(run, "a").attempt()).isEqualTo(2);
  }

  @Test
  void unackedAssignmentIsUndoneAndRetriedElsewhere() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.register("d2", 4);
    f.submit("jobs:\n  a: {steps: [x]}\n");
    AssignJob first = f.assignmentOf("a");
    f.core.assignFailed(f.droneOf(first), first.attempt(), "no ack within 5s");
    f.core.schedule();
    assertThat(f.droneOf(f.assignmentOf("a"))).isNotEqualTo(f.droneOf(first));
    assertThat(f.core.counters().assignFailures()).isEqualTo(1);
  }

  @Test
  void failureRetriesWaitForTheBackoffAndAvoidTheDroneThatFailed() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.register("d2", 4);
    long run = f.submit("jobs:\n  a: {retries: {count: 3, backoff: 10s}, steps: [x]}\n");
    AssignJob first = f.assignmentOf("a");
    f.finish(first, JobOutcome.FAILED);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.QUEUED);
    assertThat(f.job(run, "a").reason()).contains("retry 1 of 3 in 10s");
    f.advanceWithHeartbeats(9_999, "d1", "d2");
    assertThat(f.assignments).hasSize(1);
    f.advance(1);
    AssignJob second = f.assignmentOf("a");
    assertThat(f.droneOf(second)).isNotEqualTo(f.droneOf(first));

    f.finish(second, JobOutcome.TIMED_OUT);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.FAILED);
    assertThat(f.job(run, "a").reason()).contains("failed on two drones (" + f.droneOf(first) + ", " + f.droneOf(second) + ")");
  }

  @Test
  void retriesOnASingleDroneSwarmUseThatDrone() {
    CoreFixture f = new CoreFixture();
    f.register("only", 4);
    long run = f.submit("jobs:\n  a: {retries: {count: 1, backoff: 1s}, steps: [x]}\n");
    f.finish(f.assignmentOf("a"), JobOutcome.FAILED);
    f.advance(1_000);
    assertThat(f.assignments).hasSize(2);
    f.finish(f.assignmentOf("a"), JobOutcome.SUCCEEDED);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void infrastructureRetriesDoNotSpendTheRetryBudgetButAreCapped() {
    CoreOptions neverGround = new CoreOptions(2_000, 10_000, 3, 120_000, 100, 300_000, 120_000, 10);
    CoreFixture f = new CoreFixture(neverGround);
    f.register("d1", 4);
    long run = f.submit("jobs:\n  a: {retries: 0, steps: [x]}\n");
    for (int i = 0; i < CoreOptions.DEFAULT_INFRA_RETRY_CAP; i++) {
      f.finish(f.assignmentOf("a"), JobOutcome.INFRA_ERROR);
      assertThat(f.job(run, "a").state()).isEqualTo(JobState.ASSIGNED);
    }
    assertThat(f.job(run, "a").attempt()).isEqualTo(4);
    f.finish(f.assignmentOf("a"), JobOutcome.INFRA_ERROR);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.FAILED);
    assertThat(f.job(run, "a").reason()).contains("gave up after 3 drone failures");
  }

  @Test
  void aDroneShuttingDownIsNotGroundedForTheJobsItStopsAndGetsNoMoreWork() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.register("d2", 1);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n  c: {steps: [x]}\n");
    List<org.buildswarm.protocol.message.AssignJob> onD1 = new java.util.ArrayList<>();
    for (String job : List.of("a", "b", "c")) {
      if (f.droneOf(f.assignmentOf(job)).equals("d1")) {
        onD1.add(f.assignmentOf(job));
      }
    }
    assertThat(onD1).hasSizeGreaterThanOrEqualTo(2);
    f.core.drones().heartbeat(new org.buildswarm.protocol.message.Heartbeat("d1", 7, 0, -1, 0, 0, -1, DroneMode.ACTIVE,
        onD1.stream().map(org.buildswarm.protocol.message.AssignJob::attempt).toList(),
        org.buildswarm.protocol.message.HostRefusal.LEAVING));
    int before = f.assignmentDrones.size();
    for (org.buildswarm.protocol.message.AssignJob assignment : onD1) {
      f.finish(assignment, JobOutcome.INFRA_ERROR);
    }
    f.core.schedule();
    assertThat(f.core.droneList().drones().stream().filter(d -> d.name().equals("d1")).findFirst().orElseThrow().state())
        .as("not grounded: a restart is not a fault").isEqualTo("unavailable");
    assertThat(f.count(EventType.DRONE_GROUNDED)).isZero();
    assertThat(f.assignmentDrones.subList(before, f.assignmentDrones.size())).as("requeued work goes elsewhere")
        .doesNotContain("d1");
    f.register("d1", 4); // back after its restart
    f.heartbeat("d1");
    f.core.schedule();
    assertThat(f.core.droneList().drones().stream().filter(d -> d.name().equals("d1")).findFirst().orElseThrow().state())
        .isEqualTo("online");
    assertThat(f.job(run, "a").state()).isNotEqualTo(JobState.FAILED);
  }

  @Test
  void refusalsOfADroneThatIsStoppingDoNotGroundIt() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    f.core.assignAcknowledged("d1", f.assignmentOf("a").attempt(),
        org.buildswarm.protocol.message.AssignReply.refuse("d1", org.buildswarm.protocol.message.AssignReply.STOPPING));
    f.core.schedule();
    assertThat(f.count(EventType.DRONE_GROUNDED)).isZero();
    assertThat(f.job(run, "a").state()).as("no more offers to a drone on its way out").isEqualTo(JobState.QUEUED);
  }

  @Test
  void droneWithRepeatedInfrastructureFailuresIsGroundedForACooldown() {
    CoreFixture f = new CoreFixture();
    f.register("bad", 4);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n  c: {steps: [x]}\n");
    for (String job : List.of("a", "b", "c")) {
      f.finish(f.assignmentOf(job), JobOutcome.INFRA_ERROR);
    }
    assertThat(f.core.droneList().drones().get(0).state()).isEqualTo("grounded");
    assertThat(f.count(EventType.DRONE_GROUNDED)).isEqualTo(1);
    int before = f.assignments.size();
    f.core.schedule();
    assertThat(f.assignments).hasSize(before);
    f.advanceWithHeartbeats(CoreOptions.DEFAULT_GROUND_COOLDOWN_MS, "bad");
    assertThat(f.core.droneList().drones().get(0).state()).isEqualTo("online");
    assertThat(f.assignments.size()).isGreaterThan(before);
    assertThat(f.job(run, "a").state()).isNotEqualTo(JobState.FAILED);
  }

  @Test
  void cancellingARunEndsQueuedJobsAtOnceAndAsksDronesToStopRunningOnes() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    long run = f.submit(DIAMOND);
    AssignJob a = f.assignmentOf("a");
    f.core.started(new JobStarted("d1", a.attempt(), f.time.get()));
    assertThat(f.core.cancel(new CancelRequest(run, null, "alice"))).isTrue();
    assertThat(f.cancels).extracting(c -> c.attempt().jobId()).containsExactly(a.attempt().jobId());
    assertThat(f.job(run, "b").state()).isEqualTo(JobState.CANCELLED);
    assertThat(f.job(run, "d").state()).isEqualTo(JobState.CANCELLED);
    assertThat(f.run(run).run().state()).isEqualTo(RunState.RUNNING);
    f.finish(a, JobOutcome.CANCELLED);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.CANCELLED);
    assertThat(f.run(run).run().state()).isEqualTo(RunState.CANCELLED);
  }

  @Test
  void cancellingOneJobSkipsItsDependents() {
    CoreFixture f = new CoreFixture();
    long run = f.submit(DIAMOND);
    long a = f.job(run, "a").id();
    f.core.cancel(new CancelRequest(run, a, "bob"));
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.CANCELLED);
    assertThat(f.job(run, "a").reason()).isEqualTo("cancelled by bob");
    assertThat(f.job(run, "d").reason()).isEqualTo("needs \"b\", which was skipped");
    assertThat(f.run(run).run().state()).isEqualTo(RunState.CANCELLED);
  }

  /** (Who a drone is, its credentials prove on the event bus before the core sees it: EnvelopesTest.) */
  @Test
  void droneOfAnotherProtocolVersionIsRefusedWithTheReason() {
    CoreFixture f = new CoreFixture();
    DroneRoster.Registration wrongVersion = f.core.drones().register(new RegisterDrone("d1", ProtocolVersion.CURRENT + 1, "h", 4, List.of(), DroneMode.ACTIVE, false, List.of()));
    assertThat(wrongVersion.refusal()).contains("protocol version " + (ProtocolVersion.CURRENT + 1));
    assertThat(f.core.droneList().drones()).isEmpty();
    f.submit("jobs:\n  a: {steps: [x]}\n");
    assertThat(f.assignments).isEmpty();
  }

  @Test
  void pausedAndDrainingDronesGetNoWork() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.core.drones().heartbeat(new org.buildswarm.protocol.message.Heartbeat("d1", 7, 4, 0, 0, 0, 0, DroneMode.PAUSED, List.of(), null));
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    assertThat(f.assignments).isEmpty();
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.QUEUED);
    assertThat(f.core.droneList().drones().get(0).state()).isEqualTo("paused");
    f.core.drones().heartbeat(new org.buildswarm.protocol.message.Heartbeat("d1", 7, 4, 0, 0, 0, 0, DroneMode.DRAINING, List.of(), null));
    f.core.schedule();
    assertThat(f.assignments).isEmpty();
    f.heartbeat("d1");
    f.core.schedule();
    assertThat(f.assignments).hasSize(1);
  }

  @Test
  void aDroneWhoseHostIsLowOnDiskOrOverloadedGetsNoWorkUntilItRecovers() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    String reason = "disk space low: 900 MiB free in the work directory, needs 2048 MiB";
    f.core.drones().heartbeat(new org.buildswarm.protocol.message.Heartbeat("d1", 7, 4, 0, 0, 0, 900L << 20,
        DroneMode.ACTIVE, List.of(), new org.buildswarm.protocol.message.HostRefusal(
            org.buildswarm.protocol.message.HostRefusal.Signal.DISK, reason, false)));
    long run = f.submit("jobs:\n  a: {steps: [x]}\n");
    assertThat(f.assignments).isEmpty();
    assertThat(f.job(run, "a").state()).as("queued, not unschedulable: the drone can recover").isEqualTo(JobState.QUEUED);
    org.buildswarm.protocol.api.DroneView view = f.core.droneList().drones().get(0);
    assertThat(view.state()).isEqualTo("unavailable");
    assertThat(view.reason()).isEqualTo(reason);
    assertThat(f.changes).anySatisfy(change -> {
      assertThat(change.type()).isEqualTo(EventType.DRONE_UNAVAILABLE);
      assertThat(change.data()).containsEntry("reason", reason);
    });
    f.heartbeat("d1");
    f.core.schedule();
    assertThat(f.assignments).hasSize(1);
    assertThat(f.core.droneList().drones().get(0).state()).isEqualTo("online");
  }

  @Test
  void drainedDroneFinishesItsWorkButGetsNoMoreUntilResumed() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 1);
    long run = f.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n");
    assertThat(f.core.drones().setMode("d1", DroneMode.DRAINING, "ops")).hasValueSatisfying(
        view -> assertThat(view.state()).isEqualTo("draining"));
    assertThat(f.commands).contains(new org.buildswarm.protocol.message.ChangeMode("d1", 7, DroneMode.DRAINING, "set by ops"));
    f.finish(f.assignmentOf("a"), JobOutcome.SUCCEEDED);
    assertThat(f.job(run, "a").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(f.job(run, "b").state()).as("no new work while draining").isEqualTo(JobState.QUEUED);
    f.heartbeat("d1"); // still reports ACTIVE: the operator's choice wins, and is sent again
    f.core.schedule();
    assertThat(f.job(run, "b").state()).isEqualTo(JobState.QUEUED);
    assertThat(f.commands.stream().filter(c -> c instanceof org.buildswarm.protocol.message.ChangeMode).count()).isEqualTo(2);
    f.core.drones().setMode("d1", DroneMode.ACTIVE, "ops");
    f.core.schedule();
    assertThat(f.job(run, "b").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(f.count(EventType.DRONE_MODE)).isEqualTo(2);
  }

  @Test
  void operatorsPauseSurvivesTheDronesRestart() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.core.drones().setMode("d1", DroneMode.PAUSED, "ops");
    DroneRoster.Registration again = f.register("d1", 4);
    assertThat(again.accepted().mode()).isEqualTo(DroneMode.PAUSED);
    f.submit("jobs:\n  a: {steps: [x]}\n");
    assertThat(f.assignments).isEmpty();
    assertThat(f.core.drones().setMode("nobody", DroneMode.PAUSED, "ops")).isEmpty();
  }

  @Test
  void ephemeralDroneGetsOneJobOnly() {
    CoreFixture f = new CoreFixture();
    f.core.drones().register(new RegisterDrone("once", ProtocolVersion.CURRENT, "h", 8,
        List.of(), DroneMode.ACTIVE, true, List.of()));
    f.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n");
    assertThat(f.assignments).hasSize(1);
  }

  @Test
  void aJobThatFitsIsFoundBehindManyThatDoNotFitNow() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 4);
    f.submit("jobs:\n  hog: {cores: 3, steps: [x]}\n");
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < 200; i++) {
      yaml.append("  wide").append(i).append(": {cores: 4, steps: [x]}\n");
    }
    yaml.append("  head: {steps: [x]}\n  small: {needs: head, cores: 1, steps: [x]}\n");
    long run = f.submit(yaml.toString());
    // "head" (critical path 2 jobs long) sorts before the 200 wide jobs: placed at once in the 1 free core.
    assertThat(f.job(run, "head").state()).isEqualTo(JobState.ASSIGNED);
    f.finish(f.assignmentOf("head"), JobOutcome.SUCCEEDED);
    // "small" now ranks behind 200 four-core jobs that cannot start; it still gets the free core.
    assertThat(f.job(run, "small").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(f.core.readyJobs()).isEqualTo(200);
  }

  @Test
  void manualRunsGoBeforeCronRunsAndProjectsShareFairly() {
    CoreFixture f = new CoreFixture();
    long nightly = f.submit("jobs:\n  n1: {steps: [x]}\n  n2: {steps: [x]}\n", "big", Trigger.CRON);
    long manual = f.submit("jobs:\n  m1: {steps: [x]}\n", "small", Trigger.MANUAL);
    f.register("d1", 1);
    assertThat(f.assignments).extracting(AssignJob::jobName).containsExactly("m1");
    assertThat(f.job(nightly, "n1").state()).isEqualTo(JobState.QUEUED);
    assertThat(f.job(manual, "m1").state()).isEqualTo(JobState.ASSIGNED);
  }

  @Test
  void resumedRunAdoptsAttemptsTheDroneStillRunsAndRequeuesTheRest() {
    CoreFixture before = new CoreFixture();
    StoredRun stored = before.stored("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n", "p", Trigger.PUSH);
    StoredJob a = stored.jobs().get(0);
    StoredJob b = stored.jobs().get(1);
    long oldEpochToken = (6L << 32) | 1;
    StoredRun running = new StoredRun(stored.id(), "p", stored.pipelineName(), stored.source(), stored.trigger(),
        "x", stored.createdAt(), RunState.RUNNING, null, List.of(
            new StoredJob(a.id(), stored.id(), a.plan(), new JobStatus(JobState.RUNNING, 1, oldEpochToken, "d1", 0, 0,
                null, null, List.of(), null, 1L, 2L, null)),
            new StoredJob(b.id(), stored.id(), b.plan(), new JobStatus(JobState.ASSIGNED, 1, oldEpochToken + 1, "d1", 0, 0,
                null, null, List.of(), null, 1L, null, null))));

    CoreFixture after = new CoreFixture();
    after.core.resumeRun(running);
    assertThat(after.core.droneList().drones()).extracting(d -> d.state()).containsExactly("reconnecting");
    DroneRoster.Registration registration = after.core.drones().register(new RegisterDrone("d1", ProtocolVersion.CURRENT, "h", 4, List.of(), DroneMode.ACTIVE, false,
        List.of(new AttemptRef(a.id(), 1, oldEpochToken))));
    assertThat(registration.accepted().kill()).isEmpty();
    assertThat(after.job(stored.id(), "a").state()).as("adopted, not started again").isEqualTo(JobState.RUNNING);
    assertThat(after.job(stored.id(), "b").state()).isEqualTo(JobState.QUEUED);
    after.core.schedule();
    assertThat(after.assignments).extracting(AssignJob::jobName).containsExactly("b");

    after.finish("d1", new AttemptRef(a.id(), 1, oldEpochToken), JobOutcome.SUCCEEDED);
    after.finish(after.assignmentOf("b"), JobOutcome.SUCCEEDED);
    assertThat(after.run(stored.id()).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(after.count(EventType.JOB_SUCCEEDED, a.id())).isEqualTo(1);
  }

  @Test
  void resumedAttemptsOfADroneThatNeverReturnsAreRequeuedAfterTheLease() {
    CoreFixture before = new CoreFixture();
    StoredRun stored = before.stored("jobs:\n  a: {steps: [x]}\n", "p", Trigger.PUSH);
    StoredJob a = stored.jobs().get(0);
    StoredRun running = new StoredRun(stored.id(), "p", stored.pipelineName(), stored.source(), stored.trigger(),
        "x", stored.createdAt(), RunState.RUNNING, null, List.of(new StoredJob(a.id(), stored.id(), a.plan(),
            new JobStatus(JobState.RUNNING, 1, 5, "gone", 0, 0, null, null, List.of(), null, 1L, 2L, null))));
    CoreFixture after = new CoreFixture();
    after.core.resumeRun(running);
    after.register("d2", 4);
    assertThat(after.assignments).isEmpty();
    after.advanceWithHeartbeats(CoreOptions.DEFAULT_LEASE_MS, "d2");
    assertThat(after.assignmentOf("a").attempt().attempt()).isEqualTo(2);
  }
}
