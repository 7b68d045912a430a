package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.buildswarm.orchestrator.store.DeploymentStatus.DeployState;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobOutcome;
import org.junit.jupiter.api.Test;

/** A person's retry of the failed jobs of a run, or of one job, within the same run (issue 20). */
class RetryTest {
  private static final String DIAMOND = """
      jobs:
        a: {steps: [make a]}
        b: {needs: a, steps: [make b]}
        c: {needs: a, steps: [make c]}
        d: {needs: [b, c], steps: [make d]}
      """;

  private final CoreFixture swarm = new CoreFixture();

  /** a, then b fails and c passes; d is skipped; the run failed. */
  private long diamondWithAFailedBranch() {
    swarm.register("d1", 8);
    long run = swarm.submit(DIAMOND);
    swarm.finish(swarm.assignmentOf("a"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("b"), JobOutcome.FAILED);
    swarm.finish(swarm.assignmentOf("c"), JobOutcome.SUCCEEDED);
    assertThat(swarm.job(run, "d").state()).isEqualTo(JobState.SKIPPED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.FAILED);
    return run;
  }

  @Test
  void retryingTheFailedJobsRunsTheFailedBranchAndWhatItSkippedAgainAndTheRunFinishesAgain() {
    long run = diamondWithAFailedBranch();
    long jobsAssigned = swarm.assignments.size();

    RetryOutcome outcome = swarm.core.retryFailed(run, "alice");
    swarm.core.schedule();

    assertThat(outcome.status()).isEqualTo(RetryOutcome.Status.RETRIED);
    assertThat(outcome.jobs()).containsExactly("b", "d");
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.RUNNING);
    assertThat(swarm.run(run).run().finishedAt()).isNull();
    assertThat(swarm.job(run, "a").state()).as("kept").isEqualTo(JobState.SUCCEEDED);
    assertThat(swarm.job(run, "c").state()).as("kept: it needs nothing that runs again").isEqualTo(JobState.SUCCEEDED);
    assertThat(swarm.job(run, "d").state()).isEqualTo(JobState.WAITING);
    assertThat(swarm.job(run, "d").reason()).isEqualTo("runs again: it needs \"b\", which runs again");
    assertThat(swarm.assignments.subList((int) jobsAssigned, swarm.assignments.size()))
        .extracting(AssignJob::jobName).containsExactly("b");
    AssignJob b2 = swarm.assignmentOf("b");
    assertThat(b2.attempt().attempt()).as("a new attempt").isEqualTo(2);
    assertThat(swarm.job(run, "b").exitCode()).as("the old attempt's result is gone from the job").isNull();

    List<StateChange> group = swarm.together.get(0);
    assertThat(group).extracting(StateChange::type).containsExactly(EventType.RUN_RETRIED, EventType.JOB_RETRIED, EventType.JOB_RETRIED);
    assertThat(group.get(0).runStatus().state()).isEqualTo(RunState.RUNNING);
    assertThat(group.get(0).runStatus().finishedAt()).isNull();
    assertThat(group.get(0).data()).containsEntry("requestedBy", "alice").containsEntry("retried", "failed jobs");
    assertThat(group.get(1).data()).containsEntry("previousState", "FAILED").containsEntry("previousAttempt", 1)
        .containsEntry("reason", "retried by alice");
    assertThat(group.get(2).data()).containsEntry("previousState", "SKIPPED");
    assertThat(swarm.events).extracting(RunEvent::type).contains(EventType.RUN_RETRIED, EventType.JOB_RETRIED);

    swarm.finish(b2, JobOutcome.SUCCEEDED);
    AssignJob d = swarm.assignmentOf("d");
    assertThat(d.attempt().attempt()).as("d never ran before").isEqualTo(1);
    swarm.finish(d, JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(swarm.run(run).run().finishedAt()).isNotNull();
    assertThat(swarm.count(EventType.RUN_FAILED)).isEqualTo(1);
    assertThat(swarm.count(EventType.RUN_SUCCEEDED)).isEqualTo(1);
  }

  @Test
  void retryingOneSucceededJobRunsWhatNeedsItAgainAndKeepsTheRest() {
    swarm.register("d1", 8);
    long run = swarm.submit(DIAMOND);
    for (int i = 0; i < 3; i++) {
      swarm.succeedAllAssigned();
    }
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    long b = swarm.job(run, "b").id();

    RetryOutcome outcome = swarm.core.retryJob(run, b, "bob");
    swarm.core.schedule();

    assertThat(outcome.jobs()).containsExactly("b", "d");
    assertThat(swarm.job(run, "d").state()).as("it ran on b's old result").isEqualTo(JobState.WAITING);
    assertThat(swarm.job(run, "c").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(swarm.assignmentOf("b").attempt().attempt()).isEqualTo(2);
    swarm.finish(swarm.assignmentOf("b"), JobOutcome.SUCCEEDED);
    assertThat(swarm.assignmentOf("d").attempt().attempt()).isEqualTo(2);
    swarm.finish(swarm.assignmentOf("d"), JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(swarm.assignments).extracting(AssignJob::jobName).containsExactly("a", "b", "c", "d", "b", "d");
  }

  @Test
  void activeJobsUnknownOnesAndRunsWithNothingFailedAreRefusedWithTheReason() {
    swarm.register("d1", 8);
    long run = swarm.submit(DIAMOND);
    long a = swarm.job(run, "a").id();
    long d = swarm.job(run, "d").id();

    assertThat(swarm.core.retryJob(run, a, "x").message())
        .isEqualTo("job \"a\" is assigned; only a job that has ended can be retried");
    assertThat(swarm.core.retryJob(run, d, "x").message())
        .isEqualTo("job \"d\" is waiting for its needs; only a job that has ended can be retried");
    assertThat(swarm.core.retryFailed(run, "x").message()).isEqualTo(
        "run " + run + " has no failed, timed-out or cancelled job (it is running; a job that fails can be retried then)");
    assertThat(swarm.core.retryJob(run, 999_999, "x").status()).isEqualTo(RetryOutcome.Status.NOT_FOUND);
    assertThat(swarm.core.retryFailed(run + 100, "x").status()).isEqualTo(RetryOutcome.Status.NOT_FOUND);

    swarm.finish(swarm.assignmentOf("a"), JobOutcome.SUCCEEDED);
    RetryOutcome whileItsDependentsRun = swarm.core.retryJob(run, a, "x");
    assertThat(whileItsDependentsRun.status()).isEqualTo(RetryOutcome.Status.REFUSED);
    assertThat(whileItsDependentsRun.message()).isEqualTo("job \"b\" needs \"a\" and is assigned; cancel it or let it end first");

    swarm.finish(swarm.assignmentOf("b"), JobOutcome.FAILED);
    long dSkipped = swarm.job(run, "d").id();
    assertThat(swarm.core.retryJob(run, dSkipped, "x").message())
        .isEqualTo("job \"d\" needs \"b\", which failed; retry the failed jobs (or that one) instead");
    swarm.finish(swarm.assignmentOf("c"), JobOutcome.SUCCEEDED);
    assertThat(swarm.count(EventType.RUN_RETRIED)).as("nothing refused is recorded").isZero();
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.FAILED);
  }

  @Test
  void theFailedJobsOfARunStillRunningCanBeRetriedWhileTheRestGoesOn() {
    swarm.register("d1", 8);
    long run = swarm.submit(DIAMOND);
    swarm.finish(swarm.assignmentOf("a"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("b"), JobOutcome.FAILED);
    assertThat(swarm.job(run, "c").state()).isEqualTo(JobState.ASSIGNED);

    assertThat(swarm.core.retryFailed(run, "x").jobs()).containsExactly("b", "d");
    swarm.core.schedule();
    swarm.finish(swarm.assignmentOf("c"), JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).as("b runs again").isEqualTo(RunState.RUNNING);
    swarm.finish(swarm.assignmentOf("b"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("d"), JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aManualRetryIsNotRefusedBecauseAutomaticRetriesRanOutAndGetsThemAgain() {
    swarm.register("d1", 8);
    long run = swarm.submit("jobs:\n  flaky: {retries: 1, steps: [make]}\n");
    swarm.finish(swarm.assignmentOf("flaky"), JobOutcome.FAILED);
    swarm.advanceWithHeartbeats(60_000, "d1");
    swarm.finish(swarm.assignmentOf("flaky"), JobOutcome.FAILED);
    assertThat(swarm.job(run, "flaky").state()).isEqualTo(JobState.FAILED);
    assertThat(swarm.job(run, "flaky").attempt()).isEqualTo(2);

    assertThat(swarm.core.retryFailed(run, "x").status()).isEqualTo(RetryOutcome.Status.RETRIED);
    swarm.core.schedule();
    AssignJob third = swarm.assignmentOf("flaky");
    assertThat(third.attempt().attempt()).isEqualTo(3);
    swarm.finish(third, JobOutcome.FAILED);
    assertThat(swarm.job(run, "flaky").state()).as("its own retry again").isEqualTo(JobState.QUEUED);
    assertThat(swarm.job(run, "flaky").reason()).contains("retry 1 of 1");
  }

  @Test
  void aCancelledRunCanBeRetriedAndACancelInProgressRefusesIt() {
    swarm.register("d1", 8);
    long run = swarm.submit(DIAMOND);
    swarm.core.cancel(new CancelRequest(run, null, "carol"));
    assertThat(swarm.core.retryFailed(run, "x").message())
        .isEqualTo("run " + run + " is being cancelled; retry once it has ended");
    swarm.finish(swarm.assignmentOf("a"), JobOutcome.CANCELLED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.CANCELLED);

    assertThat(swarm.core.retryFailed(run, "x").jobs()).containsExactly("a", "b", "c", "d");
    swarm.core.schedule();
    for (int i = 0; i < 3; i++) {
      swarm.succeedAllAssigned();
    }
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aRetriedDeployStepDeploysAgainThroughItsEnvironmentAsANewSaga() {
    swarm.register("a", 8);
    long run = swarm.submitOn("""
        name: shop
        jobs:
          build: {steps: [make]}
          deploy: {needs: [build], deploy: true, steps: [./deploy], rollback: [./undo]}
        """, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("deploy"), JobOutcome.FAILED);
    swarm.finish(swarm.assignmentOf("rollback deploy"), JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.FAILED);
    assertThat(deployStates(run)).containsExactly(DeployState.STARTED, DeployState.ROLLED_BACK);

    assertThat(swarm.core.retryJob(run, swarm.job(run, "rollback deploy").id(), "x").message())
        .startsWith("\"rollback deploy\" is a rollback");
    assertThat(swarm.core.retryFailed(run, "x").jobs()).containsExactly("deploy", "rollback deploy");
    swarm.core.schedule();
    AssignJob again = swarm.assignmentOf("deploy");
    assertThat(again.attempt().attempt()).isEqualTo(2);
    assertThat(again.execution().env()).containsEntry("BUILDSWARM_DEPLOY_VERSION", "v1");
    assertThat(swarm.job(run, "rollback deploy").state()).isEqualTo(JobState.WAITING);
    swarm.finish(again, JobOutcome.SUCCEEDED);

    assertThat(deployStates(run)).containsExactly(DeployState.STARTED, DeployState.ROLLED_BACK, DeployState.STARTED,
        DeployState.SUCCEEDED);
    assertThat(swarm.job(run, "rollback deploy").state()).isEqualTo(JobState.SKIPPED);
    assertThat(swarm.core.environments("project").get(0).currentVersion()).isEqualTo("v1");
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aRunOfAConcurrencyGroupIsNotReopenedWhileAnotherRunOfTheGroupIsInProgress() {
    swarm.register("a", 1);
    String yaml = "concurrency: {group: main}\njobs:\n  build: {steps: [make]}\n";
    long first = swarm.submit(yaml);
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.FAILED);
    long second = swarm.submit(yaml);
    assertThat(swarm.core.retryFailed(first, "x").message())
        .isEqualTo("run " + second + " of concurrency group \"main\" is in progress; retry once it has ended");
    swarm.succeedAllAssigned();
    assertThat(swarm.core.retryFailed(first, "x").status()).isEqualTo(RetryOutcome.Status.RETRIED);
  }

  @Test
  void jobsAJobSetAddedAreRetriedLikeAnyOther() {
    swarm.register("a", 8, "linux");
    long run = swarm.submit(JobSetTest.PIPELINE);
    AssignJob emitter = swarm.assignmentOf("list-packages");
    swarm.core.finished(new org.buildswarm.protocol.message.JobFinished("a", emitter.attempt(), JobOutcome.SUCCEEDED,
        0, null, List.of(), swarm.time.get(), swarm.time.get(), null, JobSetTest.PACKAGES), jobSet());
    swarm.core.schedule();
    swarm.finish(swarm.assignmentOf("libc"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("zlib"), JobOutcome.FAILED);
    swarm.finish(swarm.assignmentOf("tools"), JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.FAILED);

    assertThat(swarm.core.retryFailed(run, "x").jobs()).containsExactly("publish", "zlib");
    swarm.core.schedule();
    swarm.finish(swarm.assignmentOf("zlib"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("publish"), JobOutcome.SUCCEEDED);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aRestartAfterARetryResumesTheRunAsTheRetryLeftIt() {
    long run = diamondWithAFailedBranch();
    swarm.core.retryFailed(run, "alice");
    StoredRun stored = swarm.asStored(run);
    assertThat(stored.state()).isEqualTo(RunState.RUNNING);

    CoreFixture restarted = new CoreFixture();
    restarted.core.resumeRuns(List.of(stored));
    restarted.register("d2", 8);
    JobView b = restarted.job(run, "b");
    assertThat(b.state()).isEqualTo(JobState.ASSIGNED);
    assertThat(b.attempt()).as("above every attempt that may have gone out before the restart").isGreaterThan(1);
    assertThat(restarted.job(run, "c").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(restarted.job(run, "d").state()).isEqualTo(JobState.WAITING);
    restarted.finish(restarted.assignmentOf("b"), JobOutcome.SUCCEEDED);
    restarted.finish(restarted.assignmentOf("d"), JobOutcome.SUCCEEDED);
    assertThat(restarted.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aFinishedRunTheCoreLetGoOfIsTakenBackFromTheStoreToBeRetried() {
    long run = diamondWithAFailedBranch();
    StoredRun stored = swarm.asStored(run);
    CoreFixture restarted = new CoreFixture();
    assertThat(restarted.core.tracks(run)).isFalse();
    restarted.core.readmitFinished(stored);
    assertThat(restarted.core.retryFailed(run, "alice").jobs()).containsExactly("b", "d");
    restarted.register("d2", 8);
    restarted.finish(restarted.assignmentOf("b"), JobOutcome.SUCCEEDED);
    restarted.finish(restarted.assignmentOf("d"), JobOutcome.SUCCEEDED);
    assertThat(restarted.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(restarted.assignmentOf("b").attempt().attempt()).isEqualTo(2);
  }

  private List<DeployState> deployStates(long run) {
    return swarm.changes.stream().filter(change -> change.runId() == run && change.deployment() != null)
        .map(change -> change.deployment().state()).toList();
  }

  private static org.buildswarm.orchestrator.plan.JobSetPlan jobSet() {
    try {
      return new org.buildswarm.orchestrator.plan.JobSetPlan(new org.buildswarm.orchestrator.plan.Planner(
          org.buildswarm.orchestrator.plan.PlannerOptions.defaults()).plan(
          new org.buildswarm.protocol.pipeline.PipelineReader().readJobSet("jobs.json", JobSetTest.PACKAGES)).jobs(),
          null);
    } catch (org.buildswarm.protocol.pipeline.PipelineException e) {
      throw new AssertionError(e);
    }
  }
}
