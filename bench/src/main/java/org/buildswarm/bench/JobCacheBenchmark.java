package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.buildswarm.orchestrator.simulate.Workload;

/**
 * A 500-package rebuild with jobs cached by their inputs, through {@code swarm up} started from
 * the built distribution: the {@link DistroRebuild} graph, each package a job with {@code cache:}
 * over its own source directory, sleeping its build time scaled down. It runs the pipeline cold,
 * then again after changing the sources of 5% of the packages (picked with a fixed seed), then
 * once more with nothing changed, and reports per run the makespan, the core-seconds the jobs
 * held, and which jobs ran — checked against the packages changed plus everything that needs
 * them, which is exactly what should run.
 *
 * <p>{@code JobCacheBenchmark DISTRIBUTION_HOME [packages] [changed share] [core-seconds of a cold run]}
 */
public final class JobCacheBenchmark {
  private static final int CORES = 2;

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    int packages = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    double changedShare = args.length > 2 ? Double.parseDouble(args[2]) : 0.05;
    double coldCoreSeconds = args.length > 3 ? Double.parseDouble(args[3]) : 160;
    List<Workload.Job> jobs = DistroRebuild.packages(packages, 42);
    long realCoreMs = jobs.stream().mapToLong(job -> job.durationMs() * Math.min(job.cores(), CORES)).sum();
    double scale = coldCoreSeconds * 1000 / realCoreMs;

    Path work = Files.createTempDirectory("buildswarm-bench-jobcache-");
    Path source = Files.createDirectories(work.resolve("distro"));
    StringBuilder pipeline = new StringBuilder("name: distro\njobs:\n");
    for (Workload.Job job : jobs) {
      Path dir = Files.createDirectories(source.resolve("pkgs").resolve(job.id()));
      Files.writeString(dir.resolve("source.c"), "/* " + job.id() + " version 1 */\n");
      long sleepMs = Math.max(20, Math.round(job.durationMs() * scale));
      pipeline.append("  ").append(job.id()).append(":\n")
          .append("    cores: ").append(Math.min(job.cores(), CORES)).append('\n');
      if (!job.needs().isEmpty()) {
        pipeline.append("    needs: [").append(String.join(", ", job.needs())).append("]\n");
      }
      pipeline.append("    cache: {inputs: [pkgs/").append(job.id()).append("/], outputs: [out/]}\n")
          .append("    steps:\n      - sleep ").append(String.format(Locale.ROOT, "%.3f", sleepMs / 1000.0))
          .append(" && mkdir -p out && cp pkgs/").append(job.id()).append("/source.c out/").append(job.id())
          .append(".built\n");
    }
    Files.writeString(source.resolve(".buildswarm.yml"), pipeline);

    Process swarm = new ProcessBuilder(home.resolve("bin/swarm").toString(), "up", "--port", "0", "--cores", "" + CORES,
        "--no-host-guard").directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve("swarm.out").toFile()).start();
    List<String> lines = new ArrayList<>();
    try {
      String url = ProcessOutput.await(work.resolve("swarm.out"), Pattern.compile("UI and API:\\s+(http://\\S+)"));
      String token = Files.readString(work.resolve(".buildswarm/admin.token")).trim();
      Measured cold = run(url, token, source, pipeline.toString());

      Random random = new Random(7);
      Set<String> changed = new TreeSet<>();
      while (changed.size() < Math.round(packages * changedShare)) {
        changed.add(jobs.get(random.nextInt(jobs.size())).id());
      }
      for (String name : changed) {
        Files.writeString(source.resolve("pkgs").resolve(name).resolve("source.c"), "/* " + name + " version 2 */\n");
      }
      Set<String> expected = withDependents(jobs, changed);
      Measured warm = run(url, token, source, pipeline.toString());
      Measured unchanged = run(url, token, source, pipeline.toString());

      lines.add(String.format(Locale.ROOT, "%d packages on swarm up (%d cores), cold run scaled to %.0f core-seconds;"
          + " %d packages changed (%.0f%%), which with what needs them is %d jobs", packages, CORES, coldCoreSeconds,
          changed.size(), changedShare * 100, expected.size()));
      lines.add(row("cold (empty cache)", cold, cold));
      lines.add(row("5% changed", warm, cold));
      lines.add(row("nothing changed", unchanged, cold));
      lines.add("jobs that ran after the change are exactly the changed packages and what needs them: "
          + warm.ran().equals(expected) + (warm.ran().equals(expected) ? ""
          : " (ran but should not: " + difference(warm.ran(), expected) + "; should but did not: "
              + difference(expected, warm.ran()) + ")"));
      lines.add("jobs that ran with nothing changed: " + unchanged.ran().size());
    } finally {
      BenchWork.stop(swarm);
      BenchWork.delete(work);
    }
    System.out.println();
    lines.forEach(System.out::println);
  }

  /** A finished run: its makespan, the core-seconds its jobs held, and the jobs whose steps ran. */
  record Measured(long run, double makespanSeconds, double coreSeconds, double ranCoreSeconds, Set<String> ran,
      int cached) {}

  private static String row(String what, Measured measured, Measured cold) {
    return String.format(Locale.ROOT, "  %-20s run %3d: makespan %6.1f s (%.2f× cold), core-seconds held %6.1f "
        + "(%.2f× cold; by jobs that ran %.1f), %d jobs ran, %d cached", what, measured.run(), measured.makespanSeconds(),
        measured.makespanSeconds() / cold.makespanSeconds(), measured.coreSeconds(),
        measured.coreSeconds() / cold.coreSeconds(), measured.ranCoreSeconds(), measured.ran().size(), measured.cached());
  }

  private static Measured run(String url, String token, Path source, String pipeline) throws Exception {
    JsonNode detail = SwarmRuns.submitAndAwait(url, token, Map.of("project", "distro", "pipeline", pipeline,
        "source", Map.of("kind", "directory", "location", source.toString())), Long.MAX_VALUE);
    long run = detail.path("run").path("id").asLong();
    long first = Long.MAX_VALUE;
    long last = 0;
    double coreMs = 0;
    double ranCoreMs = 0;
    Set<String> ran = new TreeSet<>();
    int cached = 0;
    for (JsonNode job : detail.path("jobs")) {
      long started = job.path("startedAt").asLong();
      long finished = job.path("finishedAt").asLong();
      first = Math.min(first, started);
      last = Math.max(last, finished);
      double held = (double) (finished - started) * job.path("cores").asInt();
      coreMs += held;
      if (job.path("cache").path("fromRun").isNumber()) {
        cached++;
      } else {
        ran.add(job.path("name").asText());
        ranCoreMs += held;
      }
    }
    long created0 = detail.path("run").path("createdAt").asLong();
    return new Measured(run, (last - created0) / 1000.0, coreMs / 1000.0, ranCoreMs / 1000.0, ran, cached);
  }

  /** The changed jobs and every job that needs one of them, directly or not. */
  static Set<String> withDependents(List<Workload.Job> jobs, Set<String> changed) {
    Map<String, List<String>> dependents = new HashMap<>();
    for (Workload.Job job : jobs) {
      for (String need : job.needs()) {
        dependents.computeIfAbsent(need, k -> new ArrayList<>()).add(job.id());
      }
    }
    Set<String> all = new LinkedHashSet<>(changed);
    List<String> todo = new ArrayList<>(changed);
    while (!todo.isEmpty()) {
      for (String dependent : dependents.getOrDefault(todo.remove(todo.size() - 1), List.of())) {
        if (all.add(dependent)) {
          todo.add(dependent);
        }
      }
    }
    return new TreeSet<>(all);
  }

  private static String difference(Set<String> a, Set<String> b) {
    Set<String> left = new TreeSet<>(a);
    left.removeAll(b);
    return left.toString();
  }

  private JobCacheBenchmark() {}
}
