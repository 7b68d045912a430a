package org.buildswarm.bench;

import java.util.Locale;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.schedule.impl.FifoScheduler;
import org.buildswarm.orchestrator.simulate.SimulationResult;
import org.buildswarm.orchestrator.simulate.Simulator;
import org.buildswarm.orchestrator.simulate.Workload;

/**
 * Simulates generated distribution rebuilds on the issue-4 fleet with the real policy and with
 * plain FIFO-greedy placement, and prints a table of makespan ÷ lower bound for both.
 *
 * <p>{@code java -cp ... org.buildswarm.bench.SimulationComparison [packages] [seeds]}
 */
public final class SimulationComparison {
  public static void main(String[] args) {
    int packages = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    System.out.printf(Locale.ROOT, "%-6s %10s %10s %10s %10s %12s %10s%n", "seed", "lower(s)", "policy(s)", "ratio",
        "fifo(s)", "fifo ratio", "util");
    double worst = 0;
    double sumPolicy = 0;
    double sumFifo = 0;
    for (int seed = 1; seed <= seeds; seed++) {
      Workload workload = DistroRebuild.generate(packages, seed);
      SimulationResult policy = new Simulator(new BestFitScheduler()).run(workload);
      SimulationResult fifo = new Simulator(new FifoScheduler()).run(workload);
      worst = Math.max(worst, policy.ratio());
      sumPolicy += policy.ratio();
      sumFifo += fifo.ratio();
      System.out.printf(Locale.ROOT, "%-6d %10.0f %10.0f %10.3f %10.0f %12.3f %9.0f%%%n", seed,
          policy.lowerBoundMs() / 1000.0, policy.makespanMs() / 1000.0, policy.ratio(), fifo.makespanMs() / 1000.0,
          fifo.ratio(), policy.utilization() * 100);
    }
    System.out.printf(Locale.ROOT, "mean ratio: policy %.3f, fifo %.3f; worst policy ratio %.3f%n", sumPolicy / seeds,
        sumFifo / seeds, worst);
  }

  private SimulationComparison() {}
}
