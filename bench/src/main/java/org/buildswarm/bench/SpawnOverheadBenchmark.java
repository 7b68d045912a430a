package org.buildswarm.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CPU spent per trivial job by {@code swarm up} (its JVM and every process it spawned), for each
 * process launch mechanism the JDK offers, beside {@code xargs -P <cores> sh -c true} measured in the
 * same run: what a step costs above the floor of spawning it.
 */
public final class SpawnOverheadBenchmark {
  private static final int CORES = 2;
  /** Linux's USER_HZ: /proc reports CPU time in these ticks. */
  private static final double MS_PER_TICK = 10;
  /** How long the idle swarm is watched after the measured run. */
  private static final long IDLE_MS = 20_000;

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    List<String> mechanisms = args.length > 2 ? List.of(args[2].split(",")) : List.of("POSIX_SPAWN", "VFORK");
    StringBuilder pipeline = new StringBuilder("name: trivial\njobs:\n");
    for (int i = 0; i < jobs; i++) {
      pipeline.append("  j").append(i).append(":\n    steps:\n      - \"true\"\n");
    }
    double floor = xargsMsPerJob(jobs);
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "%d independent jobs of one step `true` on swarm up (%d cores, host guard off);"
        + " floor: xargs -P%d sh -c true %.2f ms of CPU per job", jobs, CORES, CORES, floor));
    for (String mechanism : mechanisms) {
      double[] measured = swarmMsPerJob(home, mechanism, pipeline.toString(), jobs);
      double again = xargsMsPerJob(jobs);
      lines.add(String.format(Locale.ROOT, "  %-12s JVM %5.2f ms + children %5.2f ms = %5.2f ms per job; %.2f× xargs "
          + "(xargs right after: %.2f ms); of the JVM's, %.2f ms is what it spends idle in as long (%.1f ms/s)",
          mechanism, measured[0], measured[1], measured[0] + measured[1],
          (measured[0] + measured[1]) / ((floor + again) / 2), again, measured[2], measured[3]));
    }
    System.out.println();
    lines.forEach(System.out::println);
  }

  /**
   * {JVM ms, children ms, idle JVM ms} per job over a measured run after a warm-up run of the same
   * pipeline — the last being what the JVM spends idle over as long as the run took — and the idle
   * JVM's ms of CPU per second.
   */
  private static double[] swarmMsPerJob(Path home, String mechanism, String pipeline, int jobs) throws Exception {
    Path work = Files.createTempDirectory("buildswarm-bench-spawn-");
    Path source = Files.createDirectories(work.resolve("trivial"));
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/swarm").toString(), "up", "--port", "0", "--cores",
        "" + CORES, "--no-host-guard").directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve("swarm.out").toFile());
    builder.environment().put("BUILDSWARM_JAVA_OPTS", "-Djdk.lang.Process.launchMechanism=" + mechanism);
    Process swarm = builder.start();
    try {
      String url = ProcessOutput.await(work.resolve("swarm.out"), Pattern.compile("UI and API:\\s+(http://\\S+)"));
      String token = Files.readString(work.resolve(".buildswarm/admin.token")).trim();
      run(url, token, source, pipeline); // warm-up: class loading and the JIT are not per-job costs
      long[] before = cpuTicks(swarm.pid());
      long started = System.nanoTime();
      run(url, token, source, pipeline);
      long runNanos = System.nanoTime() - started;
      long[] after = cpuTicks(swarm.pid());
      // What the swarm spends with nothing to do, over as long as the run took: the part of the JVM's
      // CPU that is not per job.
      Thread.sleep(IDLE_MS);
      long[] idle = cpuTicks(swarm.pid());
      double idleMsPerSecond = (idle[0] - after[0]) * MS_PER_TICK / (IDLE_MS / 1000.0);
      return new double[] {(after[0] - before[0]) * MS_PER_TICK / jobs, (after[1] - before[1]) * MS_PER_TICK / jobs,
          idleMsPerSecond * runNanos / 1e9 / jobs, idleMsPerSecond};
    } finally {
      BenchWork.stop(swarm);
      BenchWork.delete(work);
    }
  }

  /** CPU per job of xargs spawning {@code sh -c true}, read as this JVM's reaped children's time. */
  private static double xargsMsPerJob(int jobs) throws Exception {
    long before = cpuTicks(ProcessHandle.current().pid())[1];
    Process xargs = new ProcessBuilder("sh", "-c", "seq " + jobs + " | xargs -P" + CORES + " -I{} sh -c true")
        .inheritIO().start();
    if (xargs.waitFor() != 0) {
      throw new IOException("xargs failed");
    }
    return (cpuTicks(ProcessHandle.current().pid())[1] - before) * MS_PER_TICK / jobs;
  }

  /** {own user+system, waited-for children's user+system} of a process, in ticks. */
  private static long[] cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // After the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14).
    return new long[] {Long.parseLong(fields[11]) + Long.parseLong(fields[12]),
        Long.parseLong(fields[13]) + Long.parseLong(fields[14])};
  }

  private static void run(String url, String token, Path source, String pipeline) throws Exception {
    SwarmRuns.submitAndAwait(url, token, Map.of("project", "trivial", "pipeline", pipeline, "source",
        Map.of("kind", "directory", "location", source.toString())), Long.MAX_VALUE);
  }
}
