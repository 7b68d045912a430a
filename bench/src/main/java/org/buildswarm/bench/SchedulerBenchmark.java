package org.buildswarm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.buildswarm.orchestrator.schedule.DroneSlot;
import org.buildswarm.orchestrator.schedule.ReadyJob;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.schedule.SchedulingInput;
import org.buildswarm.orchestrator.schedule.SchedulingResult;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.schedule.impl.FifoScheduler;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One scheduling round over {@code jobs} ready jobs and {@code drones} drones (mixed sizes and
 * label sets, some busy), as the orchestrator runs it. The {@code placements} counter is what the
 * issue asks for: placements per second on one core.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-XX:ActiveProcessorCount=1", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class SchedulerBenchmark {
  @Param({"1000"})
  int drones;

  @Param({"10000"})
  int jobs;

  private SchedulingInput input;
  private final Scheduler bestFit = new BestFitScheduler();
  private final Scheduler fifo = new FifoScheduler();

  /** Counts placements so JMH reports them per second next to rounds per second. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Placements {
    public long placements;

    @Setup(Level.Iteration)
    public void reset() {
      placements = 0;
    }
  }

  @Setup
  public void generate() {
    input = generate(drones, jobs, 42);
  }

  static SchedulingInput generate(int droneCount, int jobCount, long seed) {
    Random random = new Random(seed);
    List<Set<String>> labelSets = List.of(Set.of("linux"), Set.of("linux", "amd64"), Set.of("linux", "arm64"),
        Set.of("linux", "amd64", "gpu"), Set.of("linux", "amd64", "big-disk"), Set.of("linux", "amd64", "docker"),
        Set.of("linux", "arm64", "docker"), Set.of("linux", "amd64", "gpu", "docker"));
    int[] sizes = {8, 16, 32, 64};
    List<DroneSlot> slots = new ArrayList<>(droneCount);
    for (int i = 0; i < droneCount; i++) {
      int total = sizes[random.nextInt(sizes.length)];
      int busy = random.nextInt(4) == 0 ? random.nextInt(total) : 0;
      List<DroneSlot.Release> releases = busy == 0 ? List.of() : List.of(new DroneSlot.Release(busy, 1_000 + random.nextInt(600_000)));
      slots.add(new DroneSlot(String.format("drone-%04d", i), total, total - busy, labelSets.get(random.nextInt(labelSets.size())),
          random.nextInt(50) != 0, DroneSlot.UNLIMITED, releases));
    }
    List<Set<String>> jobLabels = List.of(Set.of(), Set.of("linux"), Set.of("amd64"), Set.of("arm64"), Set.of("gpu"),
        Set.of("docker"), Set.of("linux", "amd64"));
    List<ReadyJob> ready = new ArrayList<>(jobCount);
    for (int i = 0; i < jobCount; i++) {
      int cores = random.nextInt(10) < 7 ? 1 + random.nextInt(2) : 1 + random.nextInt(8);
      ready.add(new ReadyJob(i, "project-" + random.nextInt(20), 1 + random.nextInt(3), random.nextInt(3_600_000),
          60_000 + random.nextInt(600_000), random.nextInt(100_000), cores, jobLabels.get(random.nextInt(jobLabels.size())),
          Set.of()));
    }
    return new SchedulingInput(0, ready, slots, Map.of("project-1", 40, "project-2", 10));
  }

  @Benchmark
  public SchedulingResult bestFit(Placements counter) {
    SchedulingResult result = bestFit.schedule(input);
    counter.placements += result.placements().size();
    return result;
  }

  @Benchmark
  public SchedulingResult fifo(Placements counter) {
    SchedulingResult result = fifo.schedule(input);
    counter.placements += result.placements().size();
    return result;
  }
}
