package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.buildswarm.protocol.ProtocolJson;

/**
 * Trivial jobs on a busy host: {@code swarm up}, or a cluster of an orchestrator, a gateway and two
 * 2-core drones, each with its host guard at its defaults, running {@value #JOBS} independent
 * {@code true} jobs — once on a quiet machine, once beside a CPU hog (2 × CPUs busy loops). Reports
 * jobs per second and how long the drones refused work (from the {@code drone.unavailable} /
 * {@code drone.available} events, which every build records).
 *
 * <p>{@code HostGuardBenchmark LABEL=DISTRIBUTION_HOME...}: several distributions (an older build
 * beside the current one) are measured in one run, alternately.
 */
public final class HostGuardBenchmark {
  private static final int JOBS = Integer.getInteger("jobs", 1_000);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  public static void main(String[] args) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String mode : List.of("up", "cluster")) {
      for (boolean hog : List.of(false, true)) {
        for (String arg : args) {
          String label = arg.substring(0, arg.indexOf('='));
          Path home = Path.of(arg.substring(arg.indexOf('=') + 1)).toAbsolutePath();
          String line = String.format(Locale.ROOT, "%-8s %-7s %-9s %s", label, mode, hog ? "CPU hog" : "quiet",
              measure(home, mode, hog));
          System.out.println(line);
          lines.add(line);
        }
      }
    }
    System.out.println();
    lines.forEach(System.out::println);
  }

  private static String measure(Path home, String mode, boolean hog) throws Exception {
    Path work = Files.createTempDirectory("buildswarm-bench-guard-");
    List<Process> processes = new ArrayList<>();
    List<Process> burners = new ArrayList<>();
    BenchCluster cluster = null;
    try {
      if (hog) {
        for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
          burners.add(new ProcessBuilder("sh", "-c", "while :; do :; done").redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
      }
      String url;
      String token;
      if (mode.equals("up")) {
        processes.add(start(home, work, "up", List.of("up", "--port", "0", "--cores", "2")));
        url = ProcessOutput.await(work.resolve("up.out"), Pattern.compile("UI and API:\\s+(http://\\S+)"));
        token = Files.readString(work.resolve(".buildswarm/admin.token")).trim();
        BenchCluster.awaitDrones(url, 1, false);
      } else {
        cluster = BenchCluster.start(home, work, List.of(2, 2), List.of(), false);
        url = cluster.url;
        token = cluster.token;
      }
      long submitted = System.currentTimeMillis();
      JsonNode run = submitAndWait(url, token, independent(JOBS), TimeUnit.MINUTES.toMillis(15));
      long ended = System.currentTimeMillis();
      if (run == null) {
        return String.format(Locale.ROOT, "did not finish %d jobs within 15 min; drones refused work %.0f s",
            JOBS, refusedSeconds(url, submitted, ended));
      }
      long first = Long.MAX_VALUE;
      long last = 0;
      for (JsonNode job : run.path("jobs")) {
        first = Math.min(first, job.path("queuedAt").asLong());
        last = Math.max(last, job.path("finishedAt").asLong());
      }
      return String.format(Locale.ROOT, "%6.1f jobs/s over %5.1f s; drones refused work %5.1f s",
          JOBS / ((last - first) / 1000.0), (last - first) / 1000.0, refusedSeconds(url, first, last));
    } finally {
      burners.forEach(Process::destroyForcibly);
      if (cluster != null) {
        cluster.close();
      }
      for (Process process : processes) {
        process.toHandle().destroy();
      }
      for (Process process : processes) {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.toHandle().destroyForcibly();
        }
      }
      for (Process burner : burners) {
        burner.waitFor(10, TimeUnit.SECONDS);
      }
      BenchWork.delete(work);
    }
  }

  /**
   * Drone-seconds of refusal between {@code from} and {@code to}, from the swarm's events (run 0): a
   * drone refuses from its {@code drone.unavailable} to its next {@code drone.available}. A refusal
   * that holds back work only while the drone is busy counts too: it is what the drone reported.
   */
  private static double refusedSeconds(String url, long from, long to) throws Exception {
    JsonNode events = ProtocolJson.mapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url
        + "api/v1/runs/0/events?limit=10000")).build(), HttpResponse.BodyHandlers.ofString()).body()).path("events");
    Map<String, Long> since = new HashMap<>();
    double total = 0;
    for (JsonNode event : events) {
      String drone = event.path("data").path("drone").asText();
      long at = event.path("at").asLong();
      switch (event.path("type").asText()) {
        case "drone.unavailable" -> since.putIfAbsent(drone, at);
        case "drone.available" -> {
          Long start = since.remove(drone);
          if (start != null) {
            total += overlap(start, at, from, to);
          }
        }
        default -> { }
      }
    }
    for (long start : since.values()) {
      total += overlap(start, to, from, to);
    }
    return total / 1000.0;
  }

  private static long overlap(long start, long end, long from, long to) {
    return Math.max(0, Math.min(end, to) - Math.max(start, from));
  }

  private static String independent(int jobs) {
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < jobs; i++) {
      yaml.append("  j").append(i).append(": {steps: [\"true\"]}\n");
    }
    return yaml.toString();
  }

  /** The finished run, or null if it did not finish in time. */
  private static JsonNode submitAndWait(String url, String token, String yaml, long timeoutMs) throws Exception {
    return SwarmRuns.submitAndAwait(url, token, Map.of("project", "bench", "pipeline", yaml), timeoutMs);
  }

  private static Process start(Path home, Path work, String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/swarm").toString());
    command.addAll(args);
    return new ProcessBuilder(command).directory(work.toFile())
        .redirectOutput(work.resolve(name + ".out").toFile()).redirectError(work.resolve(name + ".err").toFile()).start();
  }

  private HostGuardBenchmark() {}
}
