package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.buildswarm.orchestrator.store.DeploymentStatus.DeployState;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.EnvironmentView;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.CancelAttempt;
import org.buildswarm.protocol.message.JobOutcome;
import org.junit.jupiter.api.Test;

/** Deploy sagas, environments and concurrency groups in the core (DESIGN.md §4–5), without Vert.x. */
class DeploySagaTest {
  /** build, then seven deploy steps to the branch's environment, each needing the one before and able to undo itself. */
  static String sevenStepDeploy() {
    StringBuilder yaml = new StringBuilder("name: shop\njobs:\n  build:\n    steps: [make]\n");
    for (int step = 1; step <= 7; step++) {
      yaml.append("  d").append(step).append(":\n")
          .append("    needs: [").append(step == 1 ? "build" : "d" + (step - 1)).append("]\n")
          .append("    deploy: true\n")
          .append("    steps: [\"./deploy ").append(step).append("\"]\n")
          .append("    rollback: [\"./undo ").append(step).append("\"]\n");
    }
    return yaml.toString();
  }

  static final String WITH_LINT = """
      name: shop
      concurrency: {group: "deploy-${{ branch }}", cancel-in-progress: true}
      jobs:
        build:
          steps: [make]
        lint:
          steps: [lint]
        deploy:
          needs: [build]
          deploy: true
          steps: [./deploy]
          rollback: [./undo]
      """;

  private final CoreFixture swarm = new CoreFixture();

  @Test
  void sevenDeployStepsRunInOrderAndAFailureInTheFourthRollsBackTheFourToTheVersionBefore() {
    swarm.register("a", 8);
    long good = swarm.submitOn(sevenStepDeploy(), "main", "c0ffee0");
    runEverythingToTheEnd(good);
    assertThat(swarm.run(good).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(prod().currentVersion()).isEqualTo("c0ffee0");
    swarm.assignments.clear();

    long bad = swarm.submitOn(sevenStepDeploy(), "main", "bad0001");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    for (int step = 1; step <= 3; step++) {
      AssignJob assignment = swarm.assignmentOf("d" + step);
      assertThat(assignment.execution().env()).containsEntry("BUILDSWARM_ENVIRONMENT", "prod")
          .containsEntry("BUILDSWARM_DEPLOY_VERSION", "bad0001").containsEntry("BUILDSWARM_PREVIOUS_VERSION", "c0ffee0");
      assertThat(onDrone(bad)).as("strict order: one step at a time").containsExactly("d" + step);
      swarm.advanceWithHeartbeats(1_000, "a");
      swarm.finish(assignment, JobOutcome.SUCCEEDED);
    }
    swarm.advanceWithHeartbeats(1_000, "a");
    swarm.finish(swarm.assignmentOf("d4"), JobOutcome.FAILED);

    for (int step = 5; step <= 7; step++) {
      assertThat(swarm.job(bad, "d" + step).state()).isEqualTo(JobState.SKIPPED);
      assertThat(swarm.job(bad, "rollback d" + step).state()).isEqualTo(JobState.SKIPPED);
    }
    List<String> rollbacks = new ArrayList<>();
    while (!swarm.run(bad).run().state().isTerminal()) {
      List<String> running = onDrone(bad);
      assertThat(running).as("one rollback at a time").hasSize(1);
      rollbacks.add(running.get(0));
      swarm.advanceWithHeartbeats(1_000, "a");
      swarm.finish(swarm.assignmentOf(running.get(0)), JobOutcome.SUCCEEDED);
    }
    assertThat(rollbacks).containsExactly("rollback d4", "rollback d3", "rollback d2", "rollback d1");
    assertThat(swarm.assignmentOf("rollback d4").execution().env()).containsEntry("BUILDSWARM_ROLLBACK", "true")
        .containsEntry("BUILDSWARM_PREVIOUS_VERSION", "c0ffee0");
    assertThat(swarm.run(bad).run().state()).isEqualTo(RunState.FAILED);
    assertThat(prod().currentVersion()).as("the pointer is back on the version before").isEqualTo("c0ffee0");
    assertThat(prod().deployingRun()).isNull();

    List<String> saga = swarm.changes.stream().filter(change -> change.runId() == bad && change.type().isDeploy())
        .map(change -> change.type().wire()).toList();
    assertThat(saga).containsExactly("deploy.started", "deploy.step_done", "deploy.step_done", "deploy.step_done",
        "deploy.step_failed", "deploy.rollback_started", "deploy.rollback_started", "deploy.rollback_started",
        "deploy.rollback_started", "deploy.rolled_back");
    assertThat(deployStates(bad)).containsExactly(DeployState.STARTED, DeployState.ROLLED_BACK);
  }

  @Test
  void aSuccessfulDeployMovesThePointerAndAnInstantRollbackMovesItBackWithoutRunningAnything() {
    swarm.register("a", 8);
    runEverythingToTheEnd(swarm.submitOn(sevenStepDeploy(), "main", "v1"));
    long second = swarm.submitOn(sevenStepDeploy(), "main", "v2");
    runEverythingToTheEnd(second);
    assertThat(prod().currentVersion()).isEqualTo("v2");
    assertThat(prod().previousVersion()).isEqualTo("v1");
    assertThat(swarm.job(second, "rollback d3").reason()).contains("not needed");
    int assigned = swarm.assignments.size();

    assertThat(swarm.core.rollbackEnvironment("project", "prod", null, null, "ops")).isNull();

    assertThat(prod().currentVersion()).isEqualTo("v1");
    assertThat(prod().previousVersion()).isEqualTo("v2");
    assertThat(swarm.assignments).hasSize(assigned);
    assertThat(swarm.changes.get(swarm.changes.size() - 1).deployment().state()).isEqualTo(DeployState.ACTIVATED);
    assertThat(swarm.core.rollbackEnvironment("project", "qa", null, null, "ops")).contains("no environment qa");
  }

  @Test
  void aBranchWithoutAnEnvironmentSkipsItsDeployStepsAndStillSucceeds() {
    swarm.register("a", 8);
    long run = swarm.submitOn(sevenStepDeploy(), "feature/x", "abc");
    runEverythingToTheEnd(run);
    assertThat(swarm.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(swarm.job(run, "d1").state()).isEqualTo(JobState.SKIPPED);
    assertThat(swarm.job(run, "d1").reason()).isEqualTo("branch feature/x deploys to no environment");
    assertThat(swarm.job(run, "rollback d1").state()).isEqualTo(JobState.SKIPPED);
    assertThat(swarm.core.environments(null)).isEmpty();
  }

  @Test
  void oneRunDeploysToAnEnvironmentAtATimeTheNextWaitsWithAReason() {
    swarm.register("a", 16);
    long first = swarm.submitOn(sevenStepDeploy(), "main", "v1");
    long second = swarm.submitOn(sevenStepDeploy(), "main", "v2");
    swarm.succeedAllAssigned(); // both builds
    assertThat(onDrone(first)).containsExactly("d1");
    assertThat(swarm.job(second, "d1").state()).isEqualTo(JobState.QUEUED);
    assertThat(swarm.job(second, "d1").reason()).isEqualTo("waiting for run " + first + " to finish deploying to prod");
    assertThat(onDrone(second)).isEmpty();
    assertThat(swarm.core.queue(100).jobs()).anySatisfy(queued -> {
      assertThat(queued.job().name()).isEqualTo("d1");
      assertThat(queued.job().reason()).contains("waiting for run " + first);
    });

    runEverythingToTheEnd(first);
    assertThat(prod().currentVersion()).isEqualTo("v1");
    assertThat(onDrone(second)).containsExactly("d1");
    runEverythingToTheEnd(second);
    assertThat(prod().currentVersion()).isEqualTo("v2");
  }

  @Test
  void aProtectedDeploySurvivesANewerPushInItsConcurrencyGroupWhichQueuesBehindIt() {
    swarm.register("a", 8);
    long older = swarm.submitOn(WITH_LINT, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    AssignJob olderDeploy = swarm.assignmentOf("deploy");
    AssignJob olderLint = swarm.assignmentOf("lint");
    assertThat(swarm.job(older, "deploy").state()).isEqualTo(JobState.ASSIGNED);

    long newer = swarm.submitOn(WITH_LINT, "main", "v2");

    assertThat(swarm.cancels).extracting(CancelAttempt::attempt).containsExactly(olderLint.attempt());
    assertThat(swarm.job(older, "deploy").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(swarm.count(EventType.JOB_NOT_CANCELLED, swarm.job(older, "deploy").id())).isEqualTo(1);
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED); // the newer run's build
    assertThat(swarm.job(newer, "deploy").state()).isEqualTo(JobState.QUEUED);
    assertThat(swarm.job(newer, "deploy").reason()).contains("waiting for run " + older);

    swarm.finish(olderLint, JobOutcome.CANCELLED);
    swarm.finish(olderDeploy, JobOutcome.SUCCEEDED);
    assertThat(swarm.job(older, "deploy").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(swarm.run(older).run().state()).isEqualTo(RunState.CANCELLED);
    assertThat(prod().currentVersion()).isEqualTo("v1");

    assertThat(swarm.job(newer, "deploy").state()).isEqualTo(JobState.ASSIGNED);
    runEverythingToTheEnd(newer);
    assertThat(prod().currentVersion()).isEqualTo("v2");
    assertThat(prod().previousVersion()).isEqualTo("v1");
  }

  @Test
  void aPersonCannotCancelADeployInProgressToAProtectedEnvironment() {
    swarm.register("a", 8);
    long run = swarm.submitOn(WITH_LINT, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.core.cancel(new CancelRequest(run, swarm.job(run, "deploy").id(), "someone"));
    assertThat(swarm.cancels).isEmpty();
    swarm.core.cancel(new CancelRequest(run, null, "someone"));
    assertThat(swarm.cancels).extracting(CancelAttempt::attempt).containsExactly(swarm.assignmentOf("lint").attempt());
    swarm.finish(swarm.assignmentOf("deploy"), JobOutcome.SUCCEEDED);
    assertThat(prod().currentVersion()).isEqualTo("v1");
  }

  @Test
  void aDeployToAnUnprotectedEnvironmentIsCancelledByANewerPushAndRolledBack() {
    swarm.register("a", 8);
    long older = swarm.submitOn(WITH_LINT, "develop", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    AssignJob deploy = swarm.assignmentOf("deploy");
    swarm.submitOn(WITH_LINT, "develop", "v2");
    assertThat(swarm.cancels).extracting(CancelAttempt::attempt).contains(deploy.attempt());
    swarm.finish(deploy, JobOutcome.CANCELLED);
    assertThat(swarm.job(older, "rollback deploy").state()).isEqualTo(JobState.ASSIGNED);
    swarm.finish(swarm.assignmentOf("rollback deploy"), JobOutcome.SUCCEEDED);
    assertThat(deployStates(older)).containsExactly(DeployState.STARTED, DeployState.ROLLED_BACK);
  }

  @Test
  void aLostDeployIsHeldNotRunAgainUntilItsDroneReportsOrAnOperatorDecides() {
    swarm.register("a", 8);
    long run = swarm.submitOn(WITH_LINT, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("lint"), JobOutcome.SUCCEEDED);
    AssignJob lost = swarm.assignmentOf("deploy");
    swarm.register("b", 8);
    int assigned = swarm.assignments.size();

    swarm.advanceWithHeartbeats(15_000, "b"); // a falls silent past its lease

    assertThat(swarm.job(run, "deploy").state()).isEqualTo(JobState.HELD);
    assertThat(swarm.job(run, "deploy").reason()).contains("not idempotent");
    assertThat(swarm.assignments).hasSize(assigned);
    assertThat(swarm.core.decide(swarm.job(run, "lint").id(), "retry", "ops")).contains("not held");

    // Its drone comes back with the result after all: that is the answer, accepted as current.
    assertThat(swarm.finish("a", lost.attempt(), JobOutcome.SUCCEEDED).accepted()).isTrue();
    assertThat(swarm.job(run, "deploy").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(prod().currentVersion()).isEqualTo("v1");
  }

  @Test
  void anOperatorRetriesAHeldDeployAndAnIdempotentOneIsRequeuedByItself() {
    swarm.register("a", 8);
    long run = swarm.submitOn(WITH_LINT, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.register("b", 8);
    swarm.advanceWithHeartbeats(15_000, "b");
    assertThat(swarm.job(run, "deploy").state()).isEqualTo(JobState.HELD);

    assertThat(swarm.core.decide(swarm.job(run, "deploy").id(), "retry", "ops")).isNull();
    swarm.core.schedule();
    assertThat(swarm.job(run, "deploy").drone()).isEqualTo("b");
    assertThat(swarm.job(run, "deploy").state()).isEqualTo(JobState.ASSIGNED);

    CoreFixture other = new CoreFixture();
    other.register("a", 8);
    long idempotent = other.submitOn(WITH_LINT.replace("deploy: true", "deploy: {idempotent: true}"), "main", "v1");
    other.finish(other.assignmentOf("build"), JobOutcome.SUCCEEDED);
    other.register("b", 8);
    other.advanceWithHeartbeats(15_000, "b");
    assertThat(other.job(idempotent, "deploy").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(other.job(idempotent, "deploy").drone()).isEqualTo("b");
  }

  @Test
  void withoutCancelInProgressANewerRunOfTheGroupWaitsForTheOlder() {
    swarm.register("a", 8);
    String yaml = "name: shop\nconcurrency: nightly\njobs:\n  build:\n    steps: [make]\n";
    long older = swarm.submit(yaml);
    long newer = swarm.submit(yaml);
    assertThat(onDrone(older)).containsExactly("build");
    assertThat(swarm.job(newer, "build").reason()).isEqualTo("waiting for run " + older
        + " of concurrency group \"nightly\" to finish");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    assertThat(onDrone(newer)).containsExactly("build");
  }

  @Test
  void aDeployRollingBackWhenTheOrchestratorRestartsCarriesOnAndKeepsItsEnvironment() {
    swarm.register("a", 8);
    long good = swarm.submitOn(sevenStepDeploy(), "main", "v1");
    runEverythingToTheEnd(good);
    long bad = swarm.submitOn(sevenStepDeploy(), "main", "v2");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("d1"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("d2"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("d3"), JobOutcome.FAILED);
    AssignJob rollingBack = swarm.assignmentOf("rollback d3");

    CoreFixture restarted = new CoreFixture();
    restarted.core.restoreEnvironments(List.of(new EnvironmentView("project", "prod", "v1", good, null, null, bad, 0,
        List.of())));
    restarted.core.resumeRuns(List.of(swarm.asStored(bad)));
    long next = restarted.submitOn(sevenStepDeploy(), "main", "v3");
    restarted.core.drones().register(new org.buildswarm.protocol.message.RegisterDrone("a",
        org.buildswarm.protocol.ProtocolVersion.CURRENT, "h", 8, List.of(),
        org.buildswarm.protocol.DroneMode.ACTIVE, false, List.of(rollingBack.attempt())));
    restarted.core.schedule();
    restarted.succeedAllAssigned(); // the next run's build
    assertThat(restarted.job(next, "d1").reason()).isEqualTo("waiting for run " + bad + " to finish deploying to prod");

    restarted.finish("a", rollingBack.attempt(), JobOutcome.SUCCEEDED);
    restarted.finish(restarted.assignmentOf("rollback d2"), JobOutcome.SUCCEEDED);
    restarted.finish(restarted.assignmentOf("rollback d1"), JobOutcome.SUCCEEDED);
    assertThat(restarted.run(bad).run().state()).isEqualTo(RunState.FAILED);
    assertThat(restarted.changes.stream().filter(change -> change.deployment() != null)
        .map(change -> change.deployment().state())).contains(DeployState.ROLLED_BACK);
    assertThat(restarted.core.environments("project").get(0).currentVersion()).isEqualTo("v1");
    assertThat(restarted.job(next, "d1").state()).isEqualTo(JobState.ASSIGNED);
  }

  @Test
  void afterARestartRollbacksThatWereNeverNeededDoNotRunAndAnEndedSagaDoesNotEndAgain() {
    swarm.register("a", 8);
    String yaml = sevenStepDeploy().replace("jobs:\n", "jobs:\n  notify:\n    needs: [d7]\n    steps: [./notify]\n");
    long run = swarm.submitOn(yaml, "main", "v1");
    for (int round = 0; round < 8; round++) {
      swarm.succeedAllAssigned();
    }
    assertThat(swarm.job(run, "notify").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(prod().currentVersion()).isEqualTo("v1");
    long waiting = swarm.submitOn(sevenStepDeploy(), "main", "v2"); // its build only: nothing deploying

    CoreFixture restarted = new CoreFixture();
    restarted.core.restoreEnvironments(List.of(new EnvironmentView("project", "prod", "v1", run, null, null, null, 0,
        List.of())));
    restarted.core.resumeRuns(List.of(swarm.asStored(run), swarm.asStored(waiting)));
    restarted.register("b", 8);
    restarted.advanceWithHeartbeats(12_000, "b"); // drone a never returns: notify and build go to b
    assertThat(restarted.assignments).extracting(AssignJob::jobName).doesNotContain("rollback d1", "rollback d7")
        .contains("notify", "build");
    restarted.succeedAllAssigned();
    assertThat(restarted.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(restarted.changes).noneMatch(change -> change.deployment() != null && change.runId() == run);
    assertThat(restarted.job(waiting, "d1").state()).as("the environment is free").isEqualTo(JobState.ASSIGNED);
    assertThat(restarted.core.environments("project").get(0).currentVersion()).isEqualTo("v1");
  }

  @Test
  void aSagaThatFailsBeforeAnyRollbackCouldRunHandsItsEnvironmentToOneRunOnly() {
    swarm.register("a", 16);
    String yaml = "jobs:\n  d1: {deploy: true, steps: [./one]}\n"
        + "  d2: {needs: [d1], deploy: true, steps: [./two], rollback: [./undo-two]}\n";
    long first = swarm.submitOn(yaml, "main", "v1");
    long second = swarm.submitOn(yaml, "main", "v2");
    long third = swarm.submitOn(yaml, "main", "v3");
    swarm.finish(swarm.assignmentOf("d1"), JobOutcome.FAILED);
    assertThat(swarm.run(first).run().state()).isEqualTo(RunState.FAILED);
    assertThat(swarm.job(first, "rollback d2").state()).isEqualTo(JobState.SKIPPED);
    assertThat(deployStates(first)).containsExactly(DeployState.STARTED, DeployState.ROLLED_BACK);
    assertThat(swarm.job(second, "d1").state()).isEqualTo(JobState.ASSIGNED);
    assertThat(swarm.job(third, "d1").state()).as("still one deploy at a time").isEqualTo(JobState.QUEUED);
    assertThat(swarm.job(third, "d1").reason()).contains("waiting for run " + second);
  }

  @Test
  void cancellingLeavesAloneWhatABegunProtectedDeployStillNeeds() {
    swarm.register("a", 8);
    long run = swarm.submitOn("jobs:\n"
        + "  d1: {deploy: true, steps: [./one], rollback: [./undo-one]}\n"
        + "  smoke: {needs: [d1], steps: [./smoke]}\n"
        + "  d2: {needs: [smoke], deploy: true, steps: [./two]}\n"
        + "  docs: {steps: [./docs]}\n", "main", "v1");
    swarm.finish(swarm.assignmentOf("d1"), JobOutcome.SUCCEEDED);
    AssignJob smoke = swarm.assignmentOf("smoke");
    swarm.core.cancel(new CancelRequest(run, null, "someone"));
    assertThat(swarm.cancels).extracting(CancelAttempt::attempt).containsExactly(swarm.assignmentOf("docs").attempt());
    swarm.finish(smoke, JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("d2"), JobOutcome.SUCCEEDED);
    assertThat(prod().currentVersion()).isEqualTo("v1");
    assertThat(swarm.job(run, "rollback d1").state()).isEqualTo(JobState.SKIPPED);
  }

  @Test
  void anAssignmentNobodyAnsweredIsHeldForADeployThatMustNotRunTwice() {
    swarm.register("a", 8);
    long run = swarm.submitOn(WITH_LINT, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.core.assignFailed("a", swarm.assignmentOf("deploy").attempt(), "timed out", true);
    assertThat(swarm.job(run, "deploy").state()).isEqualTo(JobState.HELD);
    AssignJob lint = swarm.assignmentOf("lint");
    swarm.core.assignFailed("a", lint.attempt(), "timed out", true);
    assertThat(swarm.job(run, "lint").state()).as("any other job is simply queued again").isEqualTo(JobState.QUEUED);
  }

  private EnvironmentView prod() {
    return swarm.core.environments("project").stream().filter(e -> e.name().equals("prod")).findFirst().orElseThrow();
  }

  private List<String> onDrone(long run) {
    return swarm.run(run).jobs().stream().filter(job -> job.state().isOnDrone()).map(job -> job.name()).toList();
  }

  private List<DeployState> deployStates(long run) {
    return swarm.changes.stream().filter(change -> change.runId() == run && change.deployment() != null)
        .map(change -> change.deployment().state()).toList();
  }

  private void runEverythingToTheEnd(long run) {
    for (int round = 0; round < 100 && !swarm.run(run).run().state().isTerminal(); round++) {
      swarm.advanceWithHeartbeats(1_000, "a");
      swarm.succeedAllAssigned();
    }
    assertThat(swarm.run(run).run().state().isTerminal()).isTrue();
  }
}
