package org.buildswarm.orchestrator.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.junit.jupiter.api.Test;

/** The scheduler's contract, checked on thousands of generated states. */
class SchedulerPropertiesTest {
  private static final List<String> LABELS = List.of("linux", "arm64", "gpu", "big-disk");

  private static Set<String> someLabels(Random random, int max) {
    Set<String> labels = new HashSet<>();
    for (String label : LABELS) {
      if (labels.size() < max && random.nextInt(4) == 0) {
        labels.add(label);
      }
    }
    return labels;
  }

  static SchedulingInput generate(long seed) {
    Random random = new Random(seed);
    List<DroneSlot> drones = new ArrayList<>();
    int droneCount = random.nextInt(25);
    for (int i = 0; i < droneCount; i++) {
      int total = 1 + random.nextInt(64);
      int free = random.nextInt(total + 1);
      List<DroneSlot.Release> releases = new ArrayList<>();
      for (int used = total - free; used > 0; ) {
        int cores = 1 + random.nextInt(used);
        releases.add(new DroneSlot.Release(cores, 1_000 + random.nextInt(100_000)));
        used -= cores;
      }
      drones.add(new DroneSlot("d" + i, total, free, someLabels(random, 3), random.nextInt(5) > 0,
          random.nextInt(6) == 0 ? random.nextInt(2) : DroneSlot.UNLIMITED, releases));
    }
    List<ReadyJob> ready = new ArrayList<>();
    int jobCount = random.nextInt(150);
    for (int i = 0; i < jobCount; i++) {
      Set<String> avoid = new HashSet<>();
      for (DroneSlot drone : drones) {
        if (random.nextInt(10) == 0) {
          avoid.add(drone.name());
        }
      }
      ready.add(new ReadyJob(i, "p" + random.nextInt(3), 1 + random.nextInt(3), random.nextInt(1_000_000),
          random.nextInt(200_000), random.nextInt(1_000), 1 + random.nextInt(random.nextInt(10) == 0 ? 80 : 16),
          someLabels(random, 2), avoid));
    }
    return new SchedulingInput(1_000, ready, drones, Map.of("p0", random.nextInt(50)));
  }

  private static boolean couldEverRun(ReadyJob job, DroneSlot drone) {
    return drone.totalCores() >= job.cores() && drone.labels().containsAll(job.labels());
  }

  /** A drone that takes work and could run the job once it has room: the only reason to keep it off one it avoids. */
  private static boolean alternative(ReadyJob job, DroneSlot drone) {
    return couldEverRun(job, drone) && drone.accepting() && drone.jobSlots() > 0
        && !job.avoidDrones().contains(drone.name());
  }

  private static void checkContract(SchedulingInput input, SchedulingResult result) {
    Map<Long, ReadyJob> jobs = new HashMap<>();
    input.ready().forEach(job -> jobs.put(job.jobId(), job));
    Map<String, DroneSlot> drones = new HashMap<>();
    input.drones().forEach(drone -> drones.put(drone.name(), drone));
    Set<Long> decided = new HashSet<>();
    Map<String, Integer> coresUsed = new HashMap<>();
    Map<String, Integer> jobsGiven = new HashMap<>();
    for (Placement placement : result.placements()) {
      ReadyJob job = jobs.get(placement.jobId());
      DroneSlot drone = drones.get(placement.drone());
      assertThat(job).as("placed job exists").isNotNull();
      assertThat(drone).as("placed on a known drone").isNotNull();
      assertThat(decided.add(job.jobId())).as("job %s placed once", job.jobId()).isTrue();
      assertThat(drone.accepting()).as("only accepting drones get work").isTrue();
      assertThat(drone.labels()).as("labels respected").containsAll(job.labels());
      boolean avoidable = input.drones().stream().anyMatch(other -> alternative(job, other));
      if (avoidable) {
        assertThat(job.avoidDrones()).as("avoid set respected when there is another way").doesNotContain(drone.name());
      }
      coresUsed.merge(drone.name(), job.cores(), Integer::sum);
      jobsGiven.merge(drone.name(), 1, Integer::sum);
    }
    coresUsed.forEach((name, cores) -> assertThat(cores).as("no over-commit on %s", name)
        .isLessThanOrEqualTo(drones.get(name).freeCores()));
    jobsGiven.forEach((name, count) -> assertThat(count).as("job slots of %s", name)
        .isLessThanOrEqualTo(drones.get(name).jobSlots()));
    Set<Long> unschedulable = new HashSet<>();
    for (Unschedulable verdict : result.unschedulable()) {
      assertThat(decided).doesNotContain(verdict.jobId());
      unschedulable.add(verdict.jobId());
      assertThat(verdict.reason()).isNotBlank();
    }
    for (ReadyJob job : input.ready()) {
      boolean possible = input.drones().stream().anyMatch(drone -> couldEverRun(job, drone));
      assertThat(unschedulable.contains(job.jobId())).as("unschedulable exactly when no drone could ever run %s", job)
          .isEqualTo(!possible);
    }
  }

  @Test
  void placementsKeepTheContractOnGeneratedStates() {
    for (long seed = 0; seed < 2_000; seed++) {
      SchedulingInput input = generate(seed);
      checkContract(input, new BestFitScheduler().schedule(input));
    }
  }

  @Test
  void withoutReservationsNoJobIsLeftWaitingWhileADroneHasRoomForIt() {
    for (long seed = 0; seed < 2_000; seed++) {
      SchedulingInput input = generate(seed);
      SchedulingResult result = new BestFitScheduler(0).schedule(input);
      checkContract(input, result);
      Map<String, Integer> free = new HashMap<>();
      Map<String, Integer> slots = new HashMap<>();
      input.drones().forEach(drone -> {
        free.put(drone.name(), drone.accepting() ? drone.freeCores() : 0);
        slots.put(drone.name(), drone.jobSlots());
      });
      Map<Long, ReadyJob> jobs = new HashMap<>();
      input.ready().forEach(job -> jobs.put(job.jobId(), job));
      Set<Long> handled = new HashSet<>();
      for (Placement placement : result.placements()) {
        free.merge(placement.drone(), -jobs.get(placement.jobId()).cores(), Integer::sum);
        slots.merge(placement.drone(), -1, Integer::sum);
        handled.add(placement.jobId());
      }
      result.unschedulable().forEach(verdict -> handled.add(verdict.jobId()));
      for (ReadyJob job : input.ready()) {
        if (handled.contains(job.jobId())) {
          continue;
        }
        boolean avoidable = input.drones().stream().anyMatch(other -> alternative(job, other));
        for (DroneSlot drone : input.drones()) {
          boolean usable = drone.accepting() && drone.labels().containsAll(job.labels()) && slots.get(drone.name()) > 0
              && !(avoidable && job.avoidDrones().contains(drone.name()));
          assertThat(usable && free.get(drone.name()) >= job.cores())
              .as("seed %s: job %s waits although %s has room", seed, job.jobId(), drone.name()).isFalse();
        }
      }
    }
  }

  @Test
  void sameInputSameDecisions() {
    for (long seed = 0; seed < 200; seed++) {
      SchedulingInput input = generate(seed);
      assertThat(new BestFitScheduler().schedule(input)).isEqualTo(new BestFitScheduler().schedule(input));
    }
  }

  @Test
  void bestFitLeavesTheBigHoleForTheBigJob() {
    List<DroneSlot> drones = List.of(new DroneSlot("small", 4, 4, Set.of(), true), new DroneSlot("large", 16, 16, Set.of(), true));
    List<ReadyJob> ready = List.of(
        new ReadyJob(1, "p", 1, 500, 60_000, 0, 2, Set.of(), Set.of()),
        new ReadyJob(2, "p", 1, 100, 60_000, 0, 16, Set.of(), Set.of()));
    SchedulingResult result = new BestFitScheduler().schedule(new SchedulingInput(0, ready, drones, Map.of()));
    assertThat(result.placements()).containsExactlyInAnyOrder(new Placement(1, "small"), new Placement(2, "large"));
  }

  @Test
  void aSmallProjectIsNotStarvedByAHugeRun() {
    List<ReadyJob> ready = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ready.add(new ReadyJob(i, "huge", 2, 1_000_000 - i, 60_000, 0, 1, Set.of(), Set.of()));
    }
    ready.add(new ReadyJob(999, "small", 2, 10, 60_000, 5, 1, Set.of(), Set.of()));
    SchedulingResult result = new BestFitScheduler().schedule(new SchedulingInput(0, ready,
        List.of(new DroneSlot("d", 8, 2, Set.of(), true)), Map.of("huge", 6)));
    assertThat(result.placements()).extracting(Placement::jobId).contains(999L);
  }

  @Test
  void aWideJobThatFitsNowhereHoldsTheDroneThatFreesFirst() {
    // "soon" frees its 6 busy cores at t=10s, "late" at t=100s. The wide job reserves "soon";
    // a long narrow job may not take the cores it waits for, a short one may.
    List<DroneSlot> drones = List.of(
        new DroneSlot("soon", 8, 2, Set.of(), true, DroneSlot.UNLIMITED, List.of(new DroneSlot.Release(6, 10_000))),
        new DroneSlot("late", 8, 2, Set.of(), true, DroneSlot.UNLIMITED, List.of(new DroneSlot.Release(6, 100_000))));
    List<ReadyJob> ready = List.of(
        new ReadyJob(1, "p", 1, 900_000, 300_000, 0, 8, Set.of(), Set.of()),
        new ReadyJob(2, "p", 1, 500_000, 60_000, 0, 2, Set.of(), Set.of()),
        new ReadyJob(3, "p", 1, 400_000, 5_000, 0, 2, Set.of(), Set.of()));
    SchedulingResult result = new BestFitScheduler().schedule(new SchedulingInput(0, ready, drones, Map.of()));
    assertThat(result.placements()).containsExactlyInAnyOrder(new Placement(2, "late"), new Placement(3, "soon"));
  }
}
