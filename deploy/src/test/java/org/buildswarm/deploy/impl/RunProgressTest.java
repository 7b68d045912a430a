package org.buildswarm.deploy.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.WaitReason;
import org.buildswarm.protocol.api.WaitReason.Code;
import org.junit.jupiter.api.Test;

/** {@code swarm run} says why a job waits once it has waited a few seconds, and again when the reason changes. */
class RunProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final RunProgress progress = new RunProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8));

  private static RunDetail run(JobState state, WaitReason waiting) {
    JobView job = new JobView(7, 1, "package", state, 4, List.of("linux"), List.of(), 0, null, null, null, List.of(),
        null, 1_000L, null, null, waiting);
    return new RunDetail(new RunSummary(1, "shop", "shop", RunState.RUNNING, Trigger.MANUAL, "me", 0, null,
        new EnumMap<>(JobState.class), null), List.of(job));
  }

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aJobsTestsArePrintedUnderItWithTheFirstFailuresNamed() {
    List<org.buildswarm.protocol.api.TestFailure> failures = new java.util.ArrayList<>();
    for (int i = 0; i < 7; i++) {
      failures.add(new org.buildswarm.protocol.api.TestFailure("s", "com.example.CartTest", "t" + i, "failure",
          "expected: <3>\nbut was: <2>\u001b[31m", "", "", "", 1));
    }
    org.buildswarm.protocol.api.TestSummary summary = new org.buildswarm.protocol.api.TestSummary(130, 120, 6, 1, 3, 9);
    RunProgress withTests = new RunProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), jobId -> jobId == 7
        ? new org.buildswarm.protocol.api.JobTests(7, 1, summary, failures, false) : null);
    JobView failed = new JobView(7, 1, "unit", JobState.FAILED, 1, List.of(), List.of(), 1, "d1", 1, "test",
        List.of("BUILD FAILURE"), "step \"test\" exited with 1", 0L, 1_000L, 3_000L, null, summary);
    JobView passed = new JobView(8, 1, "lint", JobState.SUCCEEDED, 1, List.of(), List.of(), 1, "d1", 0, null,
        List.of(), null, 0L, 1_000L, 2_000L, null, new org.buildswarm.protocol.api.TestSummary(4, 4, 0, 0, 0, 1));
    JobView untested = new JobView(9, 1, "build", JobState.SUCCEEDED, 1, List.of(), List.of(), 1, "d1", 0, null,
        List.of(), null, 0L, 1_000L, 2_000L, null, null);
    withTests.update(new RunDetail(new RunSummary(1, "shop", "shop", RunState.FAILED, Trigger.MANUAL, "me", 0, 3_000L,
        new EnumMap<>(JobState.class), null), List.of(failed, passed, untested)), 5_000);
    assertThat(printed()).contains("""
          FAILED     unit  step "test" exited with 1  2.00s
                     tests: 120 passed, 6 failed, 1 errored, 3 skipped
                       \u2717 com.example.CartTest.t0: expected: <3>
                       \u2717 com.example.CartTest.t1: expected: <3>
                       \u2717 com.example.CartTest.t2: expected: <3>
                       \u2717 com.example.CartTest.t3: expected: <3>
                       \u2717 com.example.CartTest.t4: expected: <3>
                       … and 2 more (GET /api/v1/jobs/7/tests)
                     | BUILD FAILURE
          passed     lint  1.00s
                     tests: 4 passed
          passed     build  1.00s
        """);
  }

  @Test
  void aJobTakenFromTheCacheIsPrintedAsCachedWithTheRunItCameFrom() {
    JobView cached = new JobView(7, 1, "libfoo", JobState.SUCCEEDED, 1, List.of(), List.of(), 1, "d1", 0, null,
        List.of(), "cached from run 41", 0L, 1_000L, 1_050L, null, null,
        org.buildswarm.protocol.message.JobCacheResult.hit("k", 41, "libfoo"));
    JobView built = new JobView(8, 1, "app", JobState.SUCCEEDED, 1, List.of(), List.of(), 1, "d1", 0, null,
        List.of(), null, 0L, 1_000L, 3_000L, null, null, org.buildswarm.protocol.message.JobCacheResult.ran("k2", true));
    progress.update(new RunDetail(new RunSummary(1, "shop", "shop", RunState.SUCCEEDED, Trigger.MANUAL, "me", 0, 3_000L,
        new EnumMap<>(JobState.class), null), List.of(cached, built)), 5_000);
    assertThat(printed()).contains("  cached     libfoo  cached from run 41\n").contains("  passed     app  2.00s\n");
  }

  @Test
  void aWaitIsPrintedAfterAFewSecondsThenOnlyWhenItsReasonChanges() {
    WaitReason noRoom = new WaitReason(Code.NO_ROOM, "needs 4 cores on [linux]; 2/2 busy on 1 drone");
    progress.update(run(JobState.QUEUED, noRoom), 10_000);
    assertThat(printed()).contains("queued     package").doesNotContain("waiting");

    progress.update(run(JobState.QUEUED, noRoom), 12_000);
    assertThat(printed()).as("not yet: a short wait is not news").doesNotContain("waiting");

    progress.update(run(JobState.QUEUED, noRoom), 13_500);
    assertThat(printed()).contains("  waiting    package  needs 4 cores on [linux]; 2/2 busy on 1 drone");

    progress.update(run(JobState.QUEUED, new WaitReason(Code.NO_ROOM, "needs 4 cores on [linux]; 1/2 busy on 1 drone")),
        15_000);
    assertThat(printed().lines().filter(line -> line.contains("waiting")).count())
        .as("numbers moving is not a new reason").isEqualTo(1);

    WaitReason refusing = new WaitReason(Code.DRONES_REFUSING, "drone vm takes no new work (memory pressure 42% > 30%)");
    progress.update(run(JobState.QUEUED, refusing), 17_000);
    assertThat(printed()).contains("  waiting    package  drone vm takes no new work (memory pressure 42% > 30%)");

    progress.update(run(JobState.RUNNING, null), 18_000);
    progress.update(run(JobState.QUEUED, new WaitReason(Code.RETRY_BACKOFF, "retry 1 of 2 in 10s")), 19_000);
    progress.update(run(JobState.QUEUED, new WaitReason(Code.RETRY_BACKOFF, "retry 1 of 2 in 8s")), 21_000);
    progress.update(run(JobState.QUEUED, new WaitReason(Code.RETRY_BACKOFF, "retry 1 of 2 in 6s")), 23_000);
    assertThat(printed().lines().filter(line -> line.contains("retry 1 of 2")).toList())
        .as("a countdown is printed once, after the job has waited a few seconds again")
        .containsExactly("  waiting    package  retry 1 of 2 in 6s");
  }

  @Test
  void placingStartingAndNeedsAreNotReportedAsWaits() {
    progress.update(run(JobState.QUEUED, new WaitReason(Code.PLACING, "drone d1 has room")), 0);
    progress.update(run(JobState.QUEUED, new WaitReason(Code.PLACING, "drone d1 has room")), 10_000);
    progress.update(run(JobState.WAITING, new WaitReason(Code.NEEDS, "waiting for \"a\"")), 20_000);
    assertThat(printed()).doesNotContain("waiting  ");
    assertThat(progress.anyWaiting()).isFalse();
  }

  @Test
  void aHeldDeployStepIsPrintedAsHeld() {
    WaitReason held = new WaitReason(Code.HELD, "drone d1 was lost; waiting for the drone's report or an operator's decision");
    progress.update(run(JobState.HELD, held), 0);
    progress.update(run(JobState.HELD, held), 5_000);
    assertThat(printed()).contains("  held       package  drone d1 was lost; waiting for the drone's report");
  }
}
