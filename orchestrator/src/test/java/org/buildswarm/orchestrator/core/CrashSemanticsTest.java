package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.junit.jupiter.api.Test;

/** What the core does so that a crash loses nothing that matters (docs/architecture.md, "What a crash keeps"). */
class CrashSemanticsTest {
  @Test
  void aJobsStartAndEndAreTheTimesItsDroneMeasuredNotWhenTheOrchestratorHeard() {
    CoreFixture swarm = new CoreFixture();
    swarm.register("d1", 2);
    long run = swarm.submit("jobs:\n  a: {steps: [x]}\n");
    AssignJob a = swarm.assignmentOf("a");
    long startedOnDrone = swarm.time.get() + 100;
    long endedOnDrone = startedOnDrone + 40_000;
    swarm.time.set(endedOnDrone + 25_000); // the orchestrator was away; it hears of the job 25 s after it ended
    swarm.core.finished(new JobFinished("d1", a.attempt(), JobOutcome.SUCCEEDED, 0, null, List.of(), startedOnDrone,
        endedOnDrone, null));
    JobView job = swarm.job(run, "a");
    assertThat(job.startedAt()).isEqualTo(startedOnDrone);
    assertThat(job.finishedAt()).as("40 s, as the drone measured").isEqualTo(endedOnDrone);
  }

  @Test
  void aWaitingJobsAttemptNumberIsNotGivenAgainAfterARestart() {
    CoreFixture before = new CoreFixture();
    StoredRun stored = before.stored("jobs:\n  a: {steps: [x]}\n", "p", Trigger.PUSH);
    StoredJob a = stored.jobs().get(0);
    // Stored as queued after one attempt; a second may have been assigned before the crash, unstored.
    StoredRun queued = new StoredRun(stored.id(), "p", stored.pipelineName(), stored.source(), stored.trigger(), "x",
        stored.createdAt(), RunState.RUNNING, null, List.of(new StoredJob(a.id(), stored.id(), a.plan(),
            new JobStatus(JobState.QUEUED, 1, 5, null, 0, 1, null, null, List.of(), "requeued", 1L, null, null))));
    CoreFixture after = new CoreFixture();
    after.core.resumeRun(queued);
    after.register("d2", 4);
    assertThat(after.assignmentOf("a").attempt().attempt()).as("attempt 2 may be out there already").isEqualTo(3);
  }

  @Test
  void aDeployStepThatMustNotRunTwiceIsSentOnlyOnceItsAssignmentIsStored() {
    CoreFixture swarm = new CoreFixture();
    swarm.register("d1", 4);
    swarm.submitOn(DeploySagaTest.WITH_LINT, "main", "v1");
    assertThat(swarm.assignedOnceRecorded).as("builds are sent at once").isEmpty();
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("lint"), JobOutcome.SUCCEEDED);
    assertThat(swarm.assignedOnceRecorded).extracting(AssignJob::jobName).containsExactly("deploy");
  }
}
