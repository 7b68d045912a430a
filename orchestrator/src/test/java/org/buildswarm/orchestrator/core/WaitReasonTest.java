package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.SwarmStatus;
import org.buildswarm.protocol.api.WaitReason;
import org.buildswarm.protocol.api.WaitReason.Code;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HostRefusal;
import org.buildswarm.protocol.message.HostRefusal.Signal;
import org.buildswarm.protocol.message.JobOutcome;
import org.junit.jupiter.api.Test;

/** Every job that could run but does not says why, with a code and a sentence (issue "No silent waits"). */
class WaitReasonTest {
  private final CoreFixture swarm = new CoreFixture();

  private WaitReason waiting(long run, String job) {
    return swarm.job(run, job).waiting();
  }

  private void refusing(String drone, HostRefusal refusal, AttemptRef... running) {
    swarm.core.drones().heartbeat(new Heartbeat(drone, swarm.core.epoch(), 0, 0.5, 1L << 30, 1L << 29, 1L << 35,
        DroneMode.ACTIVE, List.of(running), refusal));
    swarm.core.schedule();
  }

  @Test
  void noRoomNamesWhatTheJobNeedsAndHowBusyTheDronesThatCouldRunItAre() {
    swarm.register("d1", 2, "linux");
    long run = swarm.submit("jobs:\n  a: {cores: 2, labels: [linux], steps: [x]}\n"
        + "  b: {cores: 2, labels: [linux], steps: [x]}\n");
    JobView waits = swarm.run(run).jobs().stream().filter(job -> job.state() == JobState.QUEUED).findFirst().orElseThrow();
    assertThat(waits.waiting()).isEqualTo(new WaitReason(Code.NO_ROOM, "needs 2 cores on [linux]; 2/2 busy on 1 drone"));

    swarm.register("d2", 4, "linux");
    swarm.register("d3", 1, "linux"); // too small to count
    long wide = swarm.submit("jobs:\n  w: {cores: 4, labels: [linux], steps: [x]}\n"
        + "  v: {cores: 4, labels: [linux], steps: [x]}\n");
    JobView second = swarm.run(wide).jobs().stream().filter(job -> job.state() == JobState.QUEUED).findFirst()
        .orElseThrow();
    assertThat(second.waiting().code()).isEqualTo(Code.NO_ROOM);
    // d2 took b (2 of its 4 cores); d1 and d3 are too small for a 4-core job and do not count.
    assertThat(second.waiting().message()).isEqualTo("needs 4 cores on [linux]; 2/4 busy on 1 drone");
    AssignJob a = swarm.assignmentOf("a");
    swarm.core.started(new org.buildswarm.protocol.message.JobStarted(swarm.droneOf(a), a.attempt(), swarm.time.get()));
    assertThat(swarm.job(run, "a").waiting()).as("running: no wait").isNull();
  }

  @Test
  void severalBusyDronesNameTheOneWithTheMostFreeCores() {
    swarm.register("d1", 4);
    swarm.register("d2", 4);
    long run = swarm.submit("jobs:\n  a: {cores: 3, steps: [x]}\n  b: {cores: 2, steps: [x]}\n"
        + "  c: {cores: 4, steps: [x]}\n");
    assertThat(waiting(run, "c")).isEqualTo(new WaitReason(Code.NO_ROOM,
        "needs 4 cores; 5/8 busy on 2 drones; most free: d2 with 2"));
  }

  @Test
  void dronesRefusingWorkSayWhyEachAndAnIdleOneStillTakesAJob() {
    swarm.register("d1", 4);
    HostRefusal pressure = new HostRefusal(Signal.MEMORY_PRESSURE, "memory pressure 42% > 30%", true);
    refusing("d1", pressure);
    long run = swarm.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n");
    assertThat(swarm.assignments).as("an idle drone takes a job whatever the pressure: no stall").hasSize(1);
    AssignJob first = swarm.assignments.get(0);
    refusing("d1", pressure, first.attempt());
    String other = first.jobName().equals("a") ? "b" : "a";
    assertThat(waiting(run, other)).isEqualTo(new WaitReason(Code.DRONES_REFUSING,
        "drone d1 takes no new work (memory pressure 42% > 30%)"));
    assertThat(swarm.core.droneList().drones().get(0).reason())
        .isEqualTo("takes no new work while it runs a job: memory pressure 42% > 30%");

    SwarmStatus status = swarm.core.status("o", true, 0);
    assertThat(status.dronesOnline()).isEqualTo(1);
    assertThat(status.dronesAccepting()).as("a refusing drone's cores are not free").isZero();
    assertThat(status.coresFree()).isZero();
    assertThat(status.waitingByReason()).containsEntry(Code.DRONES_REFUSING, 1);

    swarm.finish(first, JobOutcome.SUCCEEDED);
    assertThat(swarm.job(run, other).state()).as("idle again: it takes the next one").isEqualTo(JobState.ASSIGNED);
  }

  @Test
  void aHostGuardRefusalOfAnAssignmentStopsOffersAtOnceAndNeverGroundsTheDrone() {
    swarm.register("d1", 4);
    long run = swarm.submit("jobs:\n  a: {steps: [x]}\n");
    HostRefusal disk = new HostRefusal(Signal.DISK, "disk space low: 10 MiB free in the work directory, needs 1024 MiB",
        false);
    for (int i = 0; i < 5; i++) {
      swarm.core.assignAcknowledged("d1", swarm.assignmentOf("a").attempt(), AssignReply.refuse("d1", disk));
      swarm.core.schedule();
      refusing("d1", null); // its next heartbeat says it recovered
    }
    assertThat(swarm.count(EventType.DRONE_GROUNDED)).as("a refusal is an answer, not a failure").isZero();
    swarm.core.assignAcknowledged("d1", swarm.assignmentOf("a").attempt(), AssignReply.refuse("d1", disk));
    swarm.core.schedule();
    int offers = swarm.assignments.size();
    swarm.core.schedule();
    assertThat(swarm.assignments).as("no more offers until its heartbeat says otherwise").hasSize(offers);
    assertThat(waiting(run, "a")).isEqualTo(new WaitReason(Code.DRONES_REFUSING, "drone d1 takes no new work ("
        + disk.message() + ")"));
  }

  @Test
  void aJobRefusedByTheOnlyDroneThatTakesWorkGoesBackToItRatherThanWaitForOneThatNeverWill() {
    swarm.register("paused", 4);
    swarm.core.drones().setMode("paused", DroneMode.PAUSED, "ops");
    swarm.register("steady", 2);
    long run = swarm.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n");
    AssignJob b = swarm.assignmentOf("b");
    HostRefusal busy = new HostRefusal(Signal.CPU_PRESSURE, "CPU pressure from other work 74% > 60%", true);
    swarm.core.assignAcknowledged("steady", b.attempt(), AssignReply.refuse("steady", busy));
    swarm.core.schedule();
    assertThat(waiting(run, "b").code()).isEqualTo(Code.DRONES_REFUSING);

    swarm.finish(swarm.assignmentOf("a"), JobOutcome.SUCCEEDED); // steady runs nothing now

    assertThat(swarm.job(run, "b").state()).as("not kept off steady for a paused drone's sake").isEqualTo(JobState.ASSIGNED);
    assertThat(swarm.droneOf(swarm.assignmentOf("b"))).isEqualTo("steady");
  }

  @Test
  void pausedDrainingAndGroundedDronesSaySo() {
    swarm.register("d1", 4);
    swarm.core.drones().setMode("d1", DroneMode.PAUSED, "ops");
    long run = swarm.submit("jobs:\n  a: {steps: [x]}\n");
    assertThat(waiting(run, "a")).isEqualTo(new WaitReason(Code.DRONES_PAUSED,
        "drone d1 is paused (paused by an operator)"));
    swarm.core.drones().setMode("d1", DroneMode.DRAINING, "ops");
    assertThat(waiting(run, "a").code()).isEqualTo(Code.DRONES_PAUSED);
    assertThat(waiting(run, "a").message()).isEqualTo("drone d1 is draining (drained by an operator: it finishes its "
        + "jobs and takes no more)");

    CoreFixture bad = new CoreFixture();
    bad.register("bad", 4);
    long failing = bad.submit("jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n  c: {steps: [x]}\n");
    for (String job : List.of("a", "b", "c")) {
      bad.finish(bad.assignmentOf(job), JobOutcome.INFRA_ERROR);
    }
    JobView requeued = bad.run(failing).jobs().stream().filter(job -> job.state() == JobState.QUEUED).findFirst()
        .orElseThrow();
    WaitReason grounded = requeued.waiting();
    assertThat(grounded.code()).isEqualTo(Code.DRONES_GROUNDED);
    assertThat(grounded.message()).matches("drone bad is grounded until \\d\\d:\\d\\d:\\d\\d UTC \\(2m from now\\) after "
        + "repeated infrastructure failures");
  }

  @Test
  void aJobWhoseProjectHadItsTurnSaysItWaitsForFairShare() {
    swarm.register("d1", 2);
    long big = swarm.submit("jobs:\n  a1: {steps: [x]}\n  a2: {steps: [x]}\n  a3: {steps: [x]}\n  a4: {steps: [x]}\n",
        "big", Trigger.MANUAL);
    long small = swarm.submit("jobs:\n  b1: {steps: [x]}\n", "small", Trigger.MANUAL);
    assertThat(swarm.job(small, "b1").state()).isEqualTo(JobState.QUEUED);

    AssignJob done = swarm.assignments.get(0);
    swarm.finish(done, JobOutcome.SUCCEEDED); // a core comes free: "small" holds none, so it goes first

    assertThat(swarm.job(small, "b1").state()).isEqualTo(JobState.ASSIGNED);
    JobView left = swarm.run(big).jobs().stream().filter(job -> job.state() == JobState.QUEUED).findFirst().orElseThrow();
    assertThat(left.waiting()).isEqualTo(new WaitReason(Code.FAIR_SHARE,
        "another project's turn: \"small\" holds fewer cores, so its jobs went first (fair share)"));
  }

  @Test
  void aNarrowJobKeptOffCoresHeldForAWiderOneSaysSo() {
    swarm.register("d1", 4);
    long first = swarm.submit("jobs:\n  long: {steps: [x]}\n");
    assertThat(swarm.job(first, "long").state()).isEqualTo(JobState.ASSIGNED);
    swarm.time.addAndGet(10);
    long second = swarm.submit("jobs:\n  wide: {cores: 4, steps: [x]}\n");
    swarm.time.addAndGet(10);
    long third = swarm.submit("jobs:\n  narrow: {cores: 1, steps: [x]}\n");
    assertThat(swarm.job(third, "narrow").state()).as("it would delay the wide job").isEqualTo(JobState.QUEUED);
    assertThat(waiting(third, "narrow")).isEqualTo(new WaitReason(Code.RESERVED,
        "drone d1's free cores are held for \"wide\" (4 cores), which has waited for them longer"));
    assertThat(waiting(second, "wide").code()).isEqualTo(Code.NO_ROOM);
  }

  @Test
  void gatesBackoffsNeedsUnschedulableAndStartingJobsSayWhy() {
    swarm.register("d1", 4);
    long run = swarm.submit("""
        jobs:
          a:
            retries: {count: 2, backoff: 10s}
            steps: [x]
          b:
            needs: [a]
            steps: [x]
          huge:
            cores: 99
            steps: [x]
        """);
    assertThat(waiting(run, "a")).isEqualTo(new WaitReason(Code.STARTING, "given to drone d1; waiting for it to start"));
    assertThat(waiting(run, "b")).isEqualTo(new WaitReason(Code.NEEDS, "waiting for \"a\""));
    assertThat(waiting(run, "huge")).isEqualTo(new WaitReason(Code.UNSCHEDULABLE, "needs 99 cores; the largest drone has 4"));

    swarm.finish(swarm.assignmentOf("a"), JobOutcome.FAILED);
    assertThat(waiting(run, "a")).isEqualTo(new WaitReason(Code.RETRY_BACKOFF, "retry 1 of 2 in 10s"));
    swarm.time.addAndGet(7_000);
    assertThat(waiting(run, "a")).isEqualTo(new WaitReason(Code.RETRY_BACKOFF, "retry 1 of 2 in 3s"));

    CoreFixture deploys = new CoreFixture();
    deploys.register("a", 16);
    long older = deploys.submitOn(DeploySagaTest.sevenStepDeploy(), "main", "v1");
    long newer = deploys.submitOn(DeploySagaTest.sevenStepDeploy(), "main", "v2");
    deploys.succeedAllAssigned();
    assertThat(deploys.job(newer, "d1").waiting()).isEqualTo(new WaitReason(Code.DEPLOY_GATE,
        "waiting for run " + older + " to finish deploying to prod"));

    CoreFixture groups = new CoreFixture();
    groups.register("a", 16);
    String grouped = "name: shop\nconcurrency: {group: main}\njobs:\n  build: {steps: [make]}\n";
    long one = groups.submitOn(grouped, "main", "v1");
    long two = groups.submitOn(grouped, "main", "v2");
    assertThat(groups.job(two, "build").waiting()).isEqualTo(new WaitReason(Code.CONCURRENCY_GATE,
        "waiting for run " + one + " of concurrency group \"main\" to finish"));
    assertThat(groups.core.status("o", true, 0).waitingByReason()).containsEntry(Code.CONCURRENCY_GATE, 1);
    assertThat(groups.core.queue(10).jobs()).singleElement()
        .satisfies(queued -> assertThat(queued.job().waiting().code()).isEqualTo(Code.CONCURRENCY_GATE));
  }

  @Test
  void aHeldDeployStepSaysItWaitsForADecision() {
    swarm.register("a", 8);
    long run = swarm.submitOn(DeploySagaTest.WITH_LINT, "main", "v1");
    swarm.finish(swarm.assignmentOf("build"), JobOutcome.SUCCEEDED);
    swarm.finish(swarm.assignmentOf("lint"), JobOutcome.SUCCEEDED);
    swarm.register("b", 8);
    swarm.advanceWithHeartbeats(15_000, "b");
    WaitReason held = waiting(run, "deploy");
    assertThat(held.code()).isEqualTo(Code.HELD);
    assertThat(held.message()).contains("not idempotent").contains("operator's decision");
  }
}
