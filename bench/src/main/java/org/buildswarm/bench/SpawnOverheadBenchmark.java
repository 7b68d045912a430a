package org.buildswarm.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
    int warmUps = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    StringBuilder pipeline = new StringBuilder("name: trivial\njobs:\n");
    for (int i = 0; i < jobs; i++) {
      pipeline.append("  j").append(i).append(":\n    steps:\n      - \"true\"\n");
    }
    double floor = xargsMsPerJob(jobs);
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "%d independent jobs of one step `true` on swarm up (%d cores, host guard off);"
        + " %d warm-up run(s) before the measured one; floor: xargs -P%d sh -c true %.2f ms of CPU per job",
        jobs, CORES, warmUps, CORES, floor));
    for (String mechanism : mechanisms) {
      double[] measured = swarmMsPerJob(home, mechanism, pipeline.toString(), jobs, warmUps);
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
   * {JVM ms, children ms, idle JVM ms} per job over a measured run after warm-up runs of the same
   * pipeline — the last being what the JVM spends idle over as long as the run took — and the idle
   * JVM's ms of CPU per second.
   */
  private static double[] swarmMsPerJob(Path home, String mechanism, String pipeline, int jobs, int warmUps) throws Exception {
    Path work = Files.createTempDirectory("buildswarm-bench-spawn-");
    Path source = Files.createDirectories(work.resolve("trivial"));
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/swarm").toString(), "up", "--port", "0", "--cores",
        "" + CORES, "--no-host-guard").directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve("swarm.out").toFile());
    // BENCH_SWARM_JAVA_OPTS reaches the swarm's JVM too, e.g. a flight recording of where its CPU goes.
    String extra = System.getenv().getOrDefault("BENCH_SWARM_JAVA_OPTS", "");
    builder.environment().put("BUILDSWARM_JAVA_OPTS", "-Djdk.lang.Process.launchMechanism=" + mechanism + " " + extra);
    Process swarm = builder.start();
    try {
      String url = ProcessOutput.await(work.resolve("swarm.out"), Pattern.compile("UI and API:\\s+(http://\\S+)"));
      String token = Files.readString(work.resolve(".buildswarm/admin.token")).trim();
      for (int warmUp = 0; warmUp < warmUps; warmUp++) {
        run(url, token, source, pipeline); // class loading and the JIT's work are not per-job costs
      }
      long[] before = cpuTicks(swarm.pid());
      Map<String, Long> threadsBefore = threadTicks(swarm.pid());
      profiler(swarm.pid(), "start,event=itimer,interval=1ms,threads");
      long started = System.nanoTime();
      run(url, token, source, pipeline);
      long runNanos = System.nanoTime() - started;
      long[] after = cpuTicks(swarm.pid());
      profiler(swarm.pid(), "stop,collapsed,file=" + Path.of("target", "spawn-" + mechanism + ".collapsed").toAbsolutePath());
      printThreadShares(threadsBefore, threadTicks(swarm.pid()), after[0] - before[0], jobs);
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

  /**
   * CPU ticks of each live thread of a process, summed by thread name with its numbers taken out
   * ("vert.x-eventloop-thread-1" and "-0" count as one pool). Linux keeps 15 characters of a name.
   */
  private static Map<String, Long> threadTicks(long pid) throws IOException {
    Map<String, Long> ticks = new TreeMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "N");
        ticks.merge(name, ticks(stat)[0], Long::sum);
      }
    }
    return ticks;
  }

  /** Where the JVM's CPU of the measured run went, by thread pool, in ms per job; threads that ended count as one. */
  private static void printThreadShares(Map<String, Long> before, Map<String, Long> after, long totalTicks, int jobs) {
    List<Map.Entry<String, Long>> shares = new ArrayList<>();
    long seen = 0;
    for (Map.Entry<String, Long> thread : after.entrySet()) {
      long spent = thread.getValue() - before.getOrDefault(thread.getKey(), 0L);
      seen += spent;
      shares.add(Map.entry(thread.getKey(), spent));
    }
    shares.add(Map.entry("(threads that ended)", totalTicks - seen));
    shares.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    StringBuilder line = new StringBuilder("  JVM ms per job by thread:");
    for (Map.Entry<String, Long> share : shares) {
      if (share.getValue() > 0) {
        line.append(String.format(Locale.ROOT, " %s %.2f;", share.getKey(), share.getValue() * MS_PER_TICK / jobs));
      }
    }
    System.out.println(line);
  }

  /**
   * With BENCH_PROFILER naming async-profiler's libasyncProfiler.so, loads it into the swarm's JVM
   * (jcmd) to profile only the measured run: the stop writes bench/target/spawn-MECHANISM.collapsed
   * (stacks with thread names).
   */
  private static void profiler(long pid, String command) throws Exception {
    String library = System.getenv("BENCH_PROFILER");
    if (library == null || library.isBlank()) {
      return;
    }
    // Quoted: jcmd would read the '=' in the profiler's options as its own name=value arguments.
    Process jcmd = new ProcessBuilder("jcmd", Long.toString(pid), "JVMTI.agent_load", library, '"' + command + '"')
        .redirectErrorStream(true).start();
    String said = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (jcmd.waitFor() != 0 || !said.contains("return code: 0")) {
      throw new IOException("jcmd JVMTI.agent_load " + library + " " + command + " failed: " + said.strip()
          + " (the profiler's own message is in the swarm's output)");
    }
  }

  /** {own user+system, waited-for children's user+system} of a process, in ticks. */
  private static long[] cpuTicks(long pid) throws IOException {
    return ticks(Files.readString(Path.of("/proc/" + pid + "/stat")));
  }

  /** {user+system, waited-for children's user+system} from a /proc stat line (a process's or a thread's). */
  private static long[] ticks(String stat) {
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
