package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.buildswarm.protocol.ProtocolJson;

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
  private static final HttpClient HTTP = HttpClient.newHttpClient();

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
    List<Process> processes = new ArrayList<>();
    List<String> results = new ArrayList<>();
    try {
      String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 8);
      NodeCredentials credentials = new NodeCredentials(home, work);
      int orchestratorPort = freePort();
      int gatewayPort = freePort();
      String members = "127.0.0.1:" + orchestratorPort + ",127.0.0.1:" + gatewayPort;
      List<String> common = List.of("--cluster-name", cluster, "--members", members, "--bind", "127.0.0.1");
      List<String> orchestratorArgs = new ArrayList<>(List.of("orchestrator", "--cluster-port", "" + orchestratorPort,
          "--event-bus-port", "0", "--admin-token-file", work.resolve("admin.token").toString(), "--data",
          work.resolve("o").toString()));
      orchestratorArgs.addAll(credentials.control(true));
      Process orchestrator = start(home, work, "orchestrator", common, orchestratorArgs);
      processes.add(orchestrator);
      List<String> gatewayArgs = new ArrayList<>(List.of("gateway", "--cluster-port", "" + gatewayPort,
          "--event-bus-port", "0", "--http-host", "127.0.0.1", "--http-port", "0", "--data",
          work.resolve("g").toString()));
      gatewayArgs.addAll(credentials.control(false));
      Process gateway = start(home, work, "gateway", common, gatewayArgs);
      processes.add(gateway);
      String url = ProcessOutput.await(work.resolve("gateway.out"), Pattern.compile("UI and API:\\s+(http://\\S+)"));
      ProcessOutput.await(work.resolve("orchestrator.out"), Pattern.compile("(orchestrator ready)"));
      List<Process> drones = new ArrayList<>();
      for (int i = 0; i < droneCount; i++) {
        List<String> droneArgs = new ArrayList<>(List.of("drone", "--cluster-port", "0",
            "--event-bus-port", "0", "--cores", "" + CORES_PER_DRONE, "--work-dir",
            work.resolve("d" + i).toString()));
        droneArgs.addAll(credentials.drone("d" + i));
        droneArgs.addAll(EXTRA_DRONE_ARGS); // e.g. --sandbox none (bench/sandbox.sh)
        Process drone = start(home, work, "drone-" + i, common, droneArgs);
        processes.add(drone);
        drones.add(drone);
      }
      String token = Files.readString(work.resolve("admin.token")).trim();
      awaitDrones(url, droneCount);
      Thread.sleep(5_000); // let every JVM settle before reading idle memory
      String idle = memory(orchestrator, gateway, drones);

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
      String busy = memory(orchestrator, gateway, drones);
      results.add(String.format(Locale.ROOT, "%d drones (%d cores): %.0f jobs/s, xargs -P %d: %.0f jobs/s, ratio %.2f; "
              + "dispatch latency p50 %d ms, p99 %d ms, max %d ms", droneCount, CORES_PER_DRONE * droneCount, throughput,
          CORES_PER_DRONE * droneCount, floor, throughput / floor, latency[CHAIN / 2], latency[(int) (CHAIN * 0.99)],
          latency[CHAIN - 1]));
      results.add("  resident memory idle: " + idle);
      results.add("  resident memory after the runs: " + busy);
      System.out.println(results.get(results.size() - 3));
    } finally {
      for (Process process : processes) {
        process.toHandle().destroy();
      }
      for (Process process : processes) {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.toHandle().destroyForcibly();
        }
      }
      try (var files = Files.walk(work)) {
        for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
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

  private static String memory(Process orchestrator, Process gateway, List<Process> drones) throws IOException {
    StringBuilder text = new StringBuilder("orchestrator " + rss(orchestrator) + " MB, gateway " + rss(gateway) + " MB, drones");
    for (Process drone : drones) {
      text.append(' ').append(rss(drone));
    }
    return text.append(" MB").toString();
  }

  private static long rss(Process process) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }

  private static void awaitDrones(String url, int count) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (System.currentTimeMillis() < deadline) {
      JsonNode drones = ProtocolJson.mapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url + "api/v1/drones"))
          .build(), HttpResponse.BodyHandlers.ofString()).body()).path("drones");
      int online = 0;
      for (JsonNode drone : drones) {
        online += drone.path("state").asText().equals("online") ? 1 : 0;
      }
      if (online == count) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException("drones did not come online");
  }

  private static Process start(Path home, Path work, String name, List<String> common, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/swarm").toString());
    command.addAll(args);
    command.addAll(common);
    return new ProcessBuilder(command).directory(work.toFile())
        .redirectOutput(work.resolve(name + ".out").toFile()).redirectError(work.resolve(name + ".err").toFile()).start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }


  private ClusterBenchmark() {}
}
