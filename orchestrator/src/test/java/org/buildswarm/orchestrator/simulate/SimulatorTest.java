package org.buildswarm.orchestrator.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.schedule.impl.FifoScheduler;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  private static Workload.Job job(String id, int cores, long ms, String... needs) {
    return new Workload.Job(id, cores, ms, List.of(needs), List.of());
  }

  @Test
  void independentJobsFillTheDronesAndTheBoundsAreExact() {
    Workload workload = new Workload(List.of(new Workload.Drone("a", 4, List.of())),
        List.of(job("1", 1, 10_000), job("2", 1, 10_000), job("3", 2, 10_000), job("4", 4, 5_000)));
    SimulationResult result = new Simulator(new BestFitScheduler()).run(workload);
    assertThat(result.makespanMs()).isEqualTo(15_000);
    assertThat(result.workBoundMs()).isEqualTo(15_000);
    assertThat(result.criticalPathMs()).isEqualTo(10_000);
    assertThat(result.lowerBoundMs()).isEqualTo(15_000);
    assertThat(result.ratio()).isEqualTo(1.0);
    assertThat(result.utilization()).isEqualTo(1.0);
    assertThat(result.jobsRun()).isEqualTo(4);
  }

  @Test
  void aCacheModelReusesUnchangedJobsButNeverOneBehindAJobThatRan() {
    Workload chain = new Workload(List.of(new Workload.Drone("a", 8, List.of())),
        List.of(job("a", 1, 10_000), job("b", 1, 10_000, "a"), job("c", 2, 10_000, "b")));
    SimulationResult everything = new Simulator(new BestFitScheduler()).run(chain, new CacheModel(1.0, 200, 1));
    assertThat(everything.cachedJobs()).isEqualTo(3);
    assertThat(everything.makespanMs()).isEqualTo(600);
    assertThat(everything.savedCoreMs()).isEqualTo(9_800 * 4);
    assertThat(new Simulator(new BestFitScheduler()).run(chain, CacheModel.NONE).makespanMs()).isEqualTo(30_000);

    List<Workload.Job> wide = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      wide.add(job("root" + i, 1, 1_000));
      wide.add(job("leaf" + i, 1, 1_000, "root" + i));
    }
    SimulationResult half = new Simulator(new BestFitScheduler()).run(
        new Workload(List.of(new Workload.Drone("a", 8, List.of())), wide), new CacheModel(0.5, 10, 7));
    // A leaf is reused only if its root was and its own inputs are unchanged: about a quarter of them.
    assertThat(half.cachedJobs()).isBetween(100 + 25, 100 + 75);
    assertThat(new Simulator(new BestFitScheduler()).run(new Workload(List.of(new Workload.Drone("a", 8, List.of())),
        wide), new CacheModel(0.5, 10, 7)).cachedJobs()).as("the same seed, the same model").isEqualTo(half.cachedJobs());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CacheModel(1.5, 0, 1))
        .hasMessageContaining("between 0 and 1");
  }

  @Test
  void chainRunsOneAfterAnother() {
    Workload workload = new Workload(List.of(new Workload.Drone("a", 8, List.of())),
        List.of(job("c", 1, 3_000, "b"), job("a", 1, 1_000), job("b", 1, 2_000, "a")));
    SimulationResult result = new Simulator(new BestFitScheduler()).run(workload);
    assertThat(result.makespanMs()).isEqualTo(6_000);
    assertThat(result.criticalPathMs()).isEqualTo(6_000);
  }

  @Test
  void jobsNoDroneCanRunAreReportedWithTheJobsBehindThem() {
    Workload workload = new Workload(List.of(new Workload.Drone("a", 4, List.of("x"))),
        List.of(job("big", 16, 1_000), job("after", 1, 1_000, "big"), new Workload.Job("gpu", 1, 1_000, List.of(),
            List.of("gpu")), job("fine", 1, 1_000)));
    SimulationResult result = new Simulator(new BestFitScheduler()).run(workload);
    assertThat(result.jobsRun()).isEqualTo(1);
    assertThat(result.unschedulable()).hasSize(3);
    assertThat(String.join("\n", result.unschedulable())).contains("needs 16 cores", "labels [gpu]", "needs \"big\"");
  }

  @Test
  void badWorkloadsAreRefused() {
    assertThatThrownBy(() -> new Simulator(new BestFitScheduler()).run(new Workload(List.of(),
        List.of(job("a", 1, 1, "b"), job("b", 1, 1, "a"))))).hasMessageContaining("cycle");
    assertThatThrownBy(() -> new Simulator(new BestFitScheduler()).run(new Workload(List.of(),
        List.of(job("a", 1, 1, "nope"))))).hasMessageContaining("needs nope");
    assertThatThrownBy(() -> new Simulator(new BestFitScheduler()).run(new Workload(List.of(),
        List.of(job("a", 1, 1), job("a", 1, 1))))).hasMessageContaining("unique");
  }

  @Test
  void scheduleRespectsNeedsAndCoresOnRandomGraphs() {
    for (long seed = 0; seed < 60; seed++) {
      Random random = new Random(seed);
      List<Workload.Drone> drones = new ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(5); i++) {
        drones.add(new Workload.Drone("d" + i, 1 + random.nextInt(16), List.of()));
      }
      int largest = drones.stream().mapToInt(Workload.Drone::cores).max().orElse(1);
      List<Workload.Job> jobs = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        List<String> needs = new ArrayList<>();
        for (int k = 0; k < random.nextInt(4) && i > 0; k++) {
          String need = "j" + random.nextInt(i);
          if (!needs.contains(need)) {
            needs.add(need);
          }
        }
        jobs.add(new Workload.Job("j" + i, 1 + random.nextInt(largest), 1 + random.nextInt(60_000), needs, List.of()));
      }
      Workload workload = new Workload(drones, jobs);
      for (SimulationResult result : List.of(new Simulator(new BestFitScheduler()).run(workload),
          new Simulator(new FifoScheduler()).run(workload))) {
        checkSchedule(workload, result);
      }
    }
  }

  private static void checkSchedule(Workload workload, SimulationResult result) {
    assertThat(result.jobsRun()).isEqualTo(workload.jobs().size());
    assertThat(result.unschedulable()).isEmpty();
    Map<String, SimulationResult.Slice> byJob = new HashMap<>();
    result.timeline().forEach(slice -> assertThat(byJob.put(slice.job(), slice)).as("run once").isNull());
    for (Workload.Job job : workload.jobs()) {
      SimulationResult.Slice slice = byJob.get(job.id());
      assertThat(slice.endMs() - slice.startMs()).isEqualTo(job.durationMs());
      assertThat(slice.cores()).isEqualTo(job.cores());
      for (String need : job.needs()) {
        assertThat(slice.startMs()).as("%s starts after %s ends", job.id(), need).isGreaterThanOrEqualTo(byJob.get(need).endMs());
      }
    }
    for (Workload.Drone drone : workload.drones()) {
      for (SimulationResult.Slice at : result.timeline()) {
        int used = result.timeline().stream()
            .filter(s -> s.drone().equals(drone.name()) && s.startMs() <= at.startMs() && at.startMs() < s.endMs())
            .mapToInt(SimulationResult.Slice::cores).sum();
        assertThat(used).as("cores in use on %s", drone.name()).isLessThanOrEqualTo(drone.cores());
      }
    }
    assertThat(result.makespanMs()).isGreaterThanOrEqualTo(result.phasedLowerBoundMs());
    assertThat(result.phasedLowerBoundMs()).isGreaterThanOrEqualTo(result.lowerBoundMs());
  }

  @Test
  void timelineIsAnSvgWithOneBarPerCorePerJob() {
    Workload workload = new Workload(List.of(new Workload.Drone("a", 2, List.of())),
        List.of(job("wide", 2, 1_000), job("<narrow>", 1, 1_000, "wide")));
    SimulationResult result = new Simulator(new BestFitScheduler()).run(workload);
    String svg = TimelineSvg.render(workload, result, "test");
    assertThat(svg).startsWith("<svg").contains("&lt;narrow&gt; on a").endsWith("</svg>\n");
    assertThat(svg.split("<title>", -1)).hasSize(4);
  }
}
