package org.buildswarm.deploy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.schedule.impl.FifoScheduler;
import org.buildswarm.orchestrator.simulate.SimulationResult;
import org.buildswarm.orchestrator.simulate.Simulator;
import org.buildswarm.orchestrator.simulate.TimelineSvg;
import org.buildswarm.orchestrator.simulate.Workload;
import org.buildswarm.protocol.ProtocolJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm simulate WORKLOAD.json}: the real scheduler on virtual drones and a virtual clock. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Run a workload through the real orchestrator core and scheduler on virtual drones, on a "
        + "virtual clock (no processes, no waiting), and print how good the schedule is.",
        "Workload: {\"drones\":[{\"name\":\"a\",\"cores\":16,\"labels\":[\"x\"]}],"
            + "\"jobs\":[{\"id\":\"j\",\"cores\":4,\"duration_ms\":9000,\"needs\":[\"i\"],\"labels\":[]}]}"})
final class SimulateCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "The workload file (JSON).")
  Path workloadFile;

  @Option(names = "--timeline", description = "Also draw the schedule per drone into this SVG file.")
  Path timeline;

  @Option(names = "--policy", description = "best-fit (the real policy, default) or fifo (plain first-come first-served, "
      + "for comparison).", defaultValue = "best-fit")
  String policy;

  @Option(names = "--cache-hit-rate", description = "Model jobs cached by their inputs: the share of jobs whose own "
      + "inputs did not change (0..1). A job is reused only if every job it needs was too (default: no cache).",
      defaultValue = "0")
  double cacheHitRate;

  @Option(names = "--cache-hit-ms", description = "What a reused job takes: checkout, key and restore "
      + "(default: ${DEFAULT-VALUE}).", defaultValue = "" + org.buildswarm.orchestrator.simulate.CacheModel.DEFAULT_HIT_MS)
  long cacheHitMs;

  @Option(names = "--seed", description = "Which jobs the cache model finds changed (default: ${DEFAULT-VALUE}).",
      defaultValue = "1")
  long seed;

  @Override
  public Integer call() throws Exception {
    Scheduler scheduler = switch (policy) {
      case "best-fit" -> new BestFitScheduler();
      case "fifo" -> new FifoScheduler();
      default -> null;
    };
    if (scheduler == null) {
      System.err.println("swarm simulate: --policy must be best-fit or fifo, not " + policy);
      return SwarmCli.BAD_INPUT;
    }
    org.buildswarm.orchestrator.simulate.CacheModel cache;
    try {
      cache = new org.buildswarm.orchestrator.simulate.CacheModel(cacheHitRate, cacheHitMs, seed);
    } catch (IllegalArgumentException e) {
      System.err.println("swarm simulate: " + e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    Workload workload;
    try {
      ObjectMapper strict = ProtocolJson.mapper().copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
      workload = strict.readValue(Files.readAllBytes(workloadFile), Workload.class);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String message = e.getOriginalMessage().replaceAll(" \\(class [^)]*\\)", "").replace(", not marked as ignorable", "");
      System.err.println(workloadFile + ":" + (at == null ? "1:1" : at.getLineNr() + ":" + at.getColumnNr()) + ": "
          + message);
      return SwarmCli.BAD_INPUT;
    } catch (IOException e) {
      System.err.println("swarm simulate: cannot read " + workloadFile + ": " + e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    SimulationResult result;
    try {
      result = new Simulator(scheduler).run(workload, cache);
    } catch (IllegalArgumentException e) {
      System.err.println(workloadFile + ": " + e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    int cores = workload.drones().stream().mapToInt(Workload.Drone::cores).sum();
    System.out.printf(Locale.ROOT, "policy:              %s%n", policy);
    System.out.printf(Locale.ROOT, "jobs:                %d run on %d drones (%d cores)%n", result.jobsRun(),
        workload.drones().size(), cores);
    System.out.printf(Locale.ROOT, "makespan:            %s%n", time(result.makespanMs()));
    System.out.printf(Locale.ROOT, "lower bound:         %s  (critical path %s, core-time / cores %s, longest job %s)%n",
        time(result.lowerBoundMs()), time(result.criticalPathMs()), time(result.workBoundMs()), time(result.longestJobMs()));
    System.out.printf(Locale.ROOT, "ratio:               %.3f%n", result.ratio());
    System.out.printf(Locale.ROOT, "phased lower bound:  %s  (ratio %.3f)%n", time(result.phasedLowerBoundMs()),
        result.phasedRatio());
    System.out.printf(Locale.ROOT, "mean utilisation:    %.1f%%%n", result.utilization() * 100);
    if (cacheHitRate > 0) {
      System.out.printf(Locale.ROOT, "cached:              %d of %d jobs reused (%.1f%%; inputs unchanged for %.0f%%), "
          + "%s of core-time saved%n", result.cachedJobs(), workload.jobs().size(),
          workload.jobs().isEmpty() ? 0.0 : 100.0 * result.cachedJobs() / workload.jobs().size(), cacheHitRate * 100,
          time(result.savedCoreMs()));
    }
    if (!result.unschedulable().isEmpty()) {
      System.out.println("not run (" + result.unschedulable().size() + "):");
      result.unschedulable().forEach(line -> System.out.println("  " + line));
    }
    if (timeline != null) {
      Files.writeString(timeline, TimelineSvg.render(workload, result, workloadFile.getFileName() + " (" + policy + ")"));
      System.out.println("timeline:            " + timeline);
    }
    return result.unschedulable().isEmpty() ? SwarmCli.OK : SwarmCli.RUN_FAILED;
  }

  private static String time(long millis) {
    long seconds = millis / 1000;
    String hms = seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", seconds / 3600, seconds % 3600 / 60, seconds % 60)
        : seconds >= 60 ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60) : "";
    return String.format(Locale.ROOT, "%.1fs", millis / 1000.0) + (hms.isEmpty() ? "" : " (" + hms + ")");
  }
}
