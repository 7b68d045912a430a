package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trivial jobs through the real cluster: an orchestrator, a gateway and N drone processes (2 cores
 * each) started from the built distribution, on loopback. Measures, per N:
 *
 * <ul>
 *   <li>throughput: 2,000 independent {@code true} jobs in one run, jobs per second from the run's
 *       start to its last job's end, beside {@code xargs -P 2N} spawning the same command
 *       ({@code setsid /bin/sh -e -c true}) 2,000 times — the floor;
 *   <li>dispatch latency, ready → process started: a chain of 200 {@code true} jobs, each ready
 *       the moment the one before it succeeded and always with a free core, p50 and p99;
 *   <li>resident memory of every process, idle and after the runs.
 * </ul>
 *
 * <p>{@code ClusterBenchmark DISTRIBUTION_HOME [drone counts...]}
 */
public final class ClusterBenchmark {
  private static final int JOBS = 2_000;
  private static final int CHAIN = 200;
  private static final int CORES_PER_DRONE = Integer.getInteger("coresPerDrone", 2);

  /** More arguments for every drone, from {@code BENCH_DRONE_ARGS} (space separated). */
  private static final List<String> EXTRA_DRONE_ARGS = System.getenv().getOrDefault("BENCH_DRONE_ARGS", "").isBlank()
      ? List.of() : List.of(System.getenv("BENCH_DRONE_ARGS").trim().split("\\s+"));
  /** A command that each xargs spawn runs in front of the shell, from {@code BENCH_FLOOR_PREFIX} (the sandbox's). */
  private static final String FLOOR_PREFIX = System.getenv().getOrDefault("BENCH_FLOOR_PREFIX", "");

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    int[] droneCounts = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
        : new int[] {2, 4};
    List<String> lines = new ArrayList<>();
    for (int drones : droneCounts) {
      lines.addAll(measure(home, drones));
    }
    System.out.println();
    lines.forEach(System.out::println);
  }

  private static List<String> measure(Path home, int droneCount) throws Exception {
    Path work = Files.createTempDirectory("buildswarm-bench-cluster-");
    List<String> results = new ArrayList<>();
    try (BenchCluster cluster = BenchCluster.start(home, work, java.util.Collections.nCopies(droneCount,
        CORES_PER_DRONE), EXTRA_DRONE_ARGS, true)) {
      String url = cluster.url;
      String token = cluster.token;
      Thread.sleep(5_000); // let every JVM settle before reading idle memory
      String idle = cluster.memory();

      submitAndWait(url, token, chain(20)); // warm-up
      submitAndWait(url, token, independent(200));
      JsonNode chained = submitAndWait(url, token, chain(CHAIN));
      long[] latency = new long[CHAIN];
      int index = 0;
      for (JsonNode job : chained.path("jobs")) {
        latency[index++] = job.path("startedAt").asLong() - job.path("queuedAt").asLong();
      }
      Arrays.sort(latency);

      JsonNode wide = submitAndWait(url, token, independent(JOBS));
      long first = Long.MAX_VALUE;
      long last = 0;
      for (JsonNode job : wide.path("jobs")) {
        first = Math.min(first, job.path("queuedAt").asLong());
        last = Math.max(last, job.path("finishedAt").asLong());
      }
      double throughput = JOBS / ((last - first) / 1000.0);
      double floor = xargs(CORES_PER_DRONE * droneCount);
      String busy = cluster.memory();
      results.add(String.format(Locale.ROOT, "%d drones (%d cores): %.0f jobs/s, xargs -P %d: %.0f jobs/s, ratio %.2f; "
              + "dispatch latency p50 %d ms, p99 %d ms, max %d ms", droneCount, CORES_PER_DRONE * droneCount, throughput,
          CORES_PER_DRONE * droneCount, floor, throughput / floor, latency[CHAIN / 2], latency[(int) (CHAIN * 0.99)],
          latency[CHAIN - 1]));
      results.add("  resident memory idle: " + idle);
      results.add("  resident memory after the runs: " + busy);
      System.out.println(results.get(results.size() - 3));
    } finally {
      BenchWork.delete(work);
    }
    return results;
  }

  private static String independent(int jobs) {
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < jobs; i++) {
      yaml.append("  j").append(i).append(": {steps: [\"true\"]}\n");
    }
    return yaml.toString();
  }

  private static String chain(int jobs) {
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < jobs; i++) {
      yaml.append("  j").append(i).append(": {").append(i > 0 ? "needs: j" + (i - 1) + ", " : "")
          .append("steps: [\"true\"]}\n");
    }
    return yaml.toString();
  }

  private static JsonNode submitAndWait(String url, String token, String yaml) throws Exception {
    return SwarmRuns.submitAndAwait(url, token, Map.of("project", "bench", "pipeline", yaml), Long.MAX_VALUE);
  }

  private static double xargs(int parallel) throws Exception {
    long start = System.nanoTime();
    Process process = new ProcessBuilder("sh", "-c", "seq " + JOBS + " | xargs -P " + parallel
        + " -I{} setsid " + FLOOR_PREFIX + " /bin/sh -e -c true").inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IOException("xargs failed");
    }
    return JOBS / ((System.nanoTime() - start) / 1e9);
  }

  private ClusterBenchmark() {}
}
