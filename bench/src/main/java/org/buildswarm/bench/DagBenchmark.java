package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.simulate.SimulationResult;
import org.buildswarm.orchestrator.simulate.Simulator;
import org.buildswarm.orchestrator.simulate.Workload;

/**
 * A real DAG through the real cluster: the {@link DistroRebuild} graph, each package a job of one
 * {@code sleep} step as long as its build scaled down in time, run by an orchestrator, a gateway and
 * drones declaring the fleet's cores (sleeping costs no CPU, so a 2-core host can stand in for 58
 * cores). For each fleet it prints the makespan ÷ the graph's lower bound beside {@code swarm
 * simulate}'s ratio for the same graph and fleet — for a first run, when the orchestrator knows
 * nothing of the jobs' durations, and for the same graph run again — where the time went (ready → started, and the
 * job's time beyond its sleep, along the path that ended last), and {@code ninja -j} running the same
 * sleeps at the same time with as many slots as the fleet has cores (one slot per job whatever its
 * cores, so ninja may pack tighter than the cores allow: a floor where the critical path decides).
 *
 * <p>{@code DagBenchmark DISTRIBUTION_HOME [packages] [time scale] [seed] [fleets, e.g. 16,8,14,20 16,8]}
 */
public final class DagBenchmark {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    int packages = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int scale = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    long seed = args.length > 3 ? Long.parseLong(args[3]) : 42;
    List<List<Integer>> fleets = new ArrayList<>();
    for (int i = 4; i < args.length; i++) {
      fleets.add(Arrays.stream(args[i].split(",")).map(Integer::valueOf).toList());
    }
    if (fleets.isEmpty()) {
      fleets = List.of(List.of(16, 8, 14, 20), List.of(16, 8));
    }
    List<Workload.Job> jobs = new ArrayList<>();
    for (Workload.Job job : DistroRebuild.packages(packages, seed)) {
      jobs.add(new Workload.Job(job.id(), job.cores(), Math.max(1, job.durationMs() / scale), job.needs(), job.labels()));
    }
    List<String> lines = new ArrayList<>();
    for (List<Integer> fleet : fleets) {
      String line = measure(home, jobs, fleet, packages, scale);
      System.out.println(line);
      lines.add(line);
    }
    System.out.println();
    lines.forEach(System.out::println);
  }

  private static String measure(Path home, List<Workload.Job> jobs, List<Integer> fleet, int packages, int scale)
      throws Exception {
    List<Workload.Drone> drones = new ArrayList<>();
    for (int i = 0; i < fleet.size(); i++) {
      drones.add(new Workload.Drone("d" + i, fleet.get(i), List.of()));
    }
    SimulationResult simulated = new Simulator(new BestFitScheduler()).run(new Workload(drones, jobs));
    long bound = simulated.lowerBoundMs();
    int cores = fleet.stream().mapToInt(Integer::intValue).sum();
    Path work = Files.createTempDirectory("buildswarm-bench-dag-");
    try {
      JsonNode first;
      JsonNode again;
      Ninja ninja;
      try (BenchCluster cluster = BenchCluster.start(home, work, fleet, List.of("--no-host-guard"), true)) {
        // Side by side: sleeping costs neither any CPU, and the benchmark takes less time.
        ninja = Ninja.start(work.resolve("ninja"), jobs, cores);
        first = run(cluster, jobs);
        // The same graph again: now the orchestrator knows how long each job takes.
        again = run(cluster, jobs);
      }
      long ninjaMs = ninja.awaitMs();
      return String.format(Locale.ROOT, "%d packages at 1/%d time, drones %s (%d cores), lower bound %.1f s: swarm "
              + "first run %.3f, run again %.3f, simulate %.3f, ninja -j%d %.3f (one slot per job whatever its cores)%n"
              + "  first run: %s%n  run again: %s", packages, scale, fleet, cores, bound / 1000.0,
          makespan(first) / (double) bound, makespan(again) / (double) bound, simulated.ratio(), cores,
          ninjaMs / (double) bound, whereTheTimeWent(first, jobs), whereTheTimeWent(again, jobs));
    } finally {
      BenchWork.delete(work);
    }
  }

  private static JsonNode run(BenchCluster cluster, List<Workload.Job> jobs) throws Exception {
    JsonNode run = SwarmRuns.submitAndAwait(cluster.url, cluster.token, Map.of("project", "dag", "pipeline",
        pipeline(jobs)), TimeUnit.HOURS.toMillis(2));
    if (run == null) {
      throw new IOException("the run did not finish within 2 hours");
    }
    return run;
  }

  static String pipeline(List<Workload.Job> jobs) {
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (Workload.Job job : jobs) {
      yaml.append("  ").append(job.id()).append(": {cores: ").append(job.cores());
      if (!job.needs().isEmpty()) {
        yaml.append(", needs: [").append(String.join(", ", job.needs())).append(']');
      }
      yaml.append(", steps: [\"sleep ").append(seconds(job.durationMs())).append("\"]}\n");
    }
    return yaml.toString();
  }

  /** From the first job queued to the last one finished. */
  private static long makespan(JsonNode run) {
    long first = Long.MAX_VALUE;
    long last = 0;
    for (JsonNode job : run.path("jobs")) {
      first = Math.min(first, job.path("queuedAt").asLong());
      last = Math.max(last, job.path("finishedAt").asLong());
    }
    return last - first;
  }

  /**
   * Ready → started for every job, the time each job took beyond its sleep, and the path that ended
   * last (from the last job back through the need that finished last): how much of it was waiting
   * and how much overrun, against the sleeps along it.
   */
  private static String whereTheTimeWent(JsonNode run, List<Workload.Job> jobs) {
    Map<String, Workload.Job> planned = new HashMap<>();
    jobs.forEach(job -> planned.put(job.id(), job));
    Map<String, JsonNode> done = new HashMap<>();
    run.path("jobs").forEach(job -> done.put(job.path("name").asText(), job));
    long[] waits = new long[jobs.size()];
    long[] overruns = new long[jobs.size()];
    int index = 0;
    for (Workload.Job job : jobs) {
      JsonNode actual = done.get(job.id());
      waits[index] = actual.path("startedAt").asLong() - actual.path("queuedAt").asLong();
      overruns[index++] = actual.path("finishedAt").asLong() - actual.path("startedAt").asLong() - job.durationMs();
    }
    Arrays.sort(waits);
    Arrays.sort(overruns);
    JsonNode last = null;
    for (JsonNode job : done.values()) {
      if (last == null || job.path("finishedAt").asLong() > last.path("finishedAt").asLong()) {
        last = job;
      }
    }
    long pathWait = 0;
    long pathOverrun = 0;
    long pathSleep = 0;
    int links = 0;
    for (JsonNode job = last; job != null; links++) {
      Workload.Job plan = planned.get(job.path("name").asText());
      pathWait += job.path("startedAt").asLong() - job.path("queuedAt").asLong();
      pathOverrun += job.path("finishedAt").asLong() - job.path("startedAt").asLong() - plan.durationMs();
      pathSleep += plan.durationMs();
      JsonNode latest = null;
      for (String need : plan.needs()) {
        JsonNode candidate = done.get(need);
        if (latest == null || candidate.path("finishedAt").asLong() > latest.path("finishedAt").asLong()) {
          latest = candidate;
        }
      }
      job = latest;
    }
    return String.format(Locale.ROOT, "ready → started p50 %d ms, p99 %d ms, max %d ms; beyond the sleep p50 %d ms, "
            + "p99 %d ms; the path that ended last: %d jobs, %.1f s of sleep, %.1f s waiting, %.1f s beyond the sleeps",
        waits[waits.length / 2], waits[(int) (waits.length * 0.99)], waits[waits.length - 1],
        overruns[overruns.length / 2], overruns[(int) (overruns.length * 0.99)], links, pathSleep / 1000.0,
        pathWait / 1000.0, pathOverrun / 1000.0);
  }

  /** ninja running the same sleeps with {@code slots} parallel jobs. */
  private record Ninja(Process process, long startNanos, java.util.concurrent.CompletableFuture<Long> exitNanos) {
    static Ninja start(Path dir, List<Workload.Job> jobs, int slots) throws IOException {
      Files.createDirectories(dir);
      StringBuilder build = new StringBuilder("rule sleep\n  command = sleep $seconds && touch $out\n");
      for (Workload.Job job : jobs) {
        build.append("build ").append(job.id()).append(": sleep");
        if (!job.needs().isEmpty()) {
          build.append(" | ").append(String.join(" ", job.needs()));
        }
        build.append("\n  seconds = ").append(seconds(job.durationMs())).append('\n');
      }
      Files.writeString(dir.resolve("build.ninja"), build.toString());
      long start = System.nanoTime();
      Process process = new ProcessBuilder("ninja", "-j", Integer.toString(slots)).directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return new Ninja(process, start, process.onExit().thenApply(exited -> System.nanoTime()));
    }

    /** Its wall time, from its start to its exit. */
    long awaitMs() throws Exception {
      long exited = exitNanos.get();
      if (process.exitValue() != 0) {
        throw new IOException("ninja failed");
      }
      return TimeUnit.NANOSECONDS.toMillis(exited - startNanos);
    }
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
  }

  private DagBenchmark() {}
}
