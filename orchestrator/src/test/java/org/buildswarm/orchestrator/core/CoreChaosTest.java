package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.RegisterDrone;
import org.junit.jupiter.api.Test;

/**
 * Random pipelines through the core while drones fail jobs, crash, go silent, come back and
 * resend old reports, and users cancel. Whatever happens: a job starts only after everything it
 * needs succeeded, succeeds at most once, holds at most one attempt, and every run ends.
 */
class CoreChaosTest {
  @Test
  void invariantsHoldUnderRandomFailures() {
    for (long seed = 0; seed < 300; seed++) {
      runChaos(seed);
    }
  }

  private static String randomPipeline(Random random) {
    StringBuilder yaml = new StringBuilder("jobs:\n");
    int jobs = 2 + random.nextInt(12);
    for (int i = 0; i < jobs; i++) {
      yaml.append("  j").append(i).append(":\n");
      yaml.append("    cores: ").append(1 + random.nextInt(4)).append('\n');
      if (random.nextInt(3) == 0) {
        yaml.append("    retries: {count: ").append(random.nextInt(3)).append(", backoff: 1s}\n");
      }
      List<String> needs = new ArrayList<>();
      for (int k = 0; k < random.nextInt(3) && i > 0; k++) {
        String need = "j" + random.nextInt(i);
        if (!needs.contains(need)) {
          needs.add(need);
        }
      }
      if (!needs.isEmpty()) {
        yaml.append("    needs: [").append(String.join(", ", needs)).append("]\n");
      }
      yaml.append("    steps: [work]\n");
    }
    return yaml.toString();
  }

  private static void runChaos(long seed) {
    Random random = new Random(seed);
    CoreFixture f = new CoreFixture();
    List<String> drones = List.of("a", "b", "c");
    Set<String> silent = new HashSet<>();
    for (String drone : drones) {
      f.register(drone, 4 + random.nextInt(5));
    }
    List<Long> runs = new ArrayList<>();
    for (int r = 0; r < 1 + random.nextInt(3); r++) {
      runs.add(f.submit(randomPipeline(random)));
    }
    List<AssignJob> stale = new ArrayList<>();
    Set<Long> appliedTokens = new HashSet<>();
    for (int step = 0; step < 2_000 && !allDone(f, runs); step++) {
      int action = random.nextInt(100);
      List<AssignJob> live = liveAssignments(f);
      if (action < 55 && !live.isEmpty()) {
        AssignJob assignment = live.get(random.nextInt(live.size()));
        JobOutcome outcome = random.nextInt(10) < 8 ? JobOutcome.SUCCEEDED
            : random.nextBoolean() ? JobOutcome.FAILED : JobOutcome.INFRA_ERROR;
        assertThat(f.finish(assignment, outcome).accepted()).as("seed %s: a current report is accepted", seed).isTrue();
        appliedTokens.add(assignment.attempt().token());
        stale.add(assignment);
      } else if (action < 65 && !stale.isEmpty()) {
        // a late or repeated report of an attempt that is no longer current
        AssignJob old = stale.get(random.nextInt(stale.size()));
        boolean accepted = f.finish(f.droneOf(old), old.attempt(), JobOutcome.SUCCEEDED).accepted();
        assertThat(accepted).as("seed %s: an old report is only acknowledged if it is a resend of one applied", seed)
            .isEqualTo(appliedTokens.contains(old.attempt().token()));
      } else if (action < 72) {
        String drone = drones.get(random.nextInt(drones.size()));
        if (!silent.remove(drone)) {
          silent.add(drone); // goes quiet; its lease will run out
        } else {
          f.core.drones().register(new RegisterDrone(drone, ProtocolVersion.CURRENT, "h", 6,
              List.of(), DroneMode.ACTIVE, false, List.of()));
        }
      } else if (action < 74 && !runs.isEmpty()) {
        long run = runs.get(random.nextInt(runs.size()));
        RunDetail detail = f.run(run);
        JobView victim = detail.jobs().get(random.nextInt(detail.jobs().size()));
        f.core.cancel(new CancelRequest(run, random.nextBoolean() ? null : victim.id(), "chaos"));
      } else {
        for (String drone : drones) {
          if (!silent.contains(drone)) {
            f.heartbeat(drone);
          }
        }
        f.advance(1_000 + random.nextInt(3_000));
        // cancelled attempts on drones: the drone confirms
        for (AssignJob assignment : liveAssignments(f)) {
          if (f.cancels.stream().anyMatch(c -> c.attempt().equals(assignment.attempt()))) {
            f.finish(assignment, JobOutcome.CANCELLED);
            appliedTokens.add(assignment.attempt().token());
          }
        }
      }
    }
    // Let everything still going finish.
    for (int round = 0; round < 500 && !allDone(f, runs); round++) {
      silent.clear();
      for (String drone : drones) {
        if (f.heartbeat(drone).reregister()) {
          f.register(drone, 8);
        }
      }
      for (AssignJob assignment : liveAssignments(f)) {
        f.finish(assignment, JobOutcome.SUCCEEDED);
        appliedTokens.add(assignment.attempt().token());
      }
      f.advance(2_000);
    }
    assertThat(allDone(f, runs)).as("seed %s: every run ends", seed).isTrue();
    checkEventLog(seed, f, runs);
  }

  private static boolean allDone(CoreFixture f, List<Long> runs) {
    return runs.stream().allMatch(run -> f.run(run).run().state().isTerminal());
  }

  /** Assignments whose attempt is still the job's current one on a drone. */
  private static List<AssignJob> liveAssignments(CoreFixture f) {
    List<AssignJob> live = new ArrayList<>();
    for (AssignJob assignment : f.assignments) {
      f.core.runDetail(assignment.runId()).ifPresent(run -> run.jobs().stream()
          .filter(job -> job.id() == assignment.attempt().jobId() && job.state().isOnDrone()
              && job.attempt() == assignment.attempt().attempt())
          .findFirst().ifPresent(job -> live.add(assignment)));
    }
    return live;
  }

  private static void checkEventLog(long seed, CoreFixture f, List<Long> runs) {
    Map<Long, List<Long>> needsOf = new HashMap<>();
    Map<Long, JobState> finalState = new HashMap<>();
    for (long run : runs) {
      RunDetail detail = f.run(run);
      Map<String, Long> idByName = new HashMap<>();
      detail.jobs().forEach(job -> idByName.put(job.name(), job.id()));
      for (JobView job : detail.jobs()) {
        needsOf.put(job.id(), job.needs().stream().map(idByName::get).toList());
        finalState.put(job.id(), job.state());
        assertThat(job.state().isTerminal()).as("seed %s: job %s ends", seed, job.name()).isTrue();
      }
    }
    Set<Long> succeeded = new HashSet<>();
    Set<Long> onDrone = new HashSet<>();
    for (StateChange change : f.changes) {
      Long job = change.jobId();
      if (job == null || !needsOf.containsKey(job)) {
        continue;
      }
      switch (change.type()) {
        case JOB_ASSIGNED -> {
          assertThat(succeeded).as("seed %s: job %s assigned only after its needs succeeded", seed, job)
              .containsAll(needsOf.get(job));
          assertThat(onDrone.add(job)).as("seed %s: job %s holds one attempt at a time", seed, job).isTrue();
        }
        case JOB_SUCCEEDED -> {
          assertThat(succeeded.add(job)).as("seed %s: job %s succeeds once", seed, job).isTrue();
          onDrone.remove(job);
        }
        case JOB_FAILED, JOB_CANCELLED, JOB_REQUEUED, JOB_RETRY_SCHEDULED, JOB_ASSIGN_FAILED, JOB_SKIPPED ->
            onDrone.remove(job);
        default -> { }
      }
    }
    succeeded.forEach(job -> assertThat(finalState.get(job)).isEqualTo(JobState.SUCCEEDED));
  }
}
