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
    System.out.printf(Locale.ROOT, "%-5s %9s %9s %10s %7s %8s %9s %7s %8s %6s%n", "seed", "lower(s)", "phased(s)",
        "policy(s)", "ratio", "phased", "fifo(s)", "ratio", "phased", "util");
    double worst = 0;
    double worstPhased = 0;
    double sumPolicy = 0;
    double sumFifo = 0;
    double sumPolicyPhased = 0;
    double sumFifoPhased = 0;
    for (int seed = 1; seed <= seeds; seed++) {
      Workload workload = DistroRebuild.generate(packages, seed);
      SimulationResult policy = new Simulator(new BestFitScheduler()).run(workload);
      SimulationResult fifo = new Simulator(new FifoScheduler()).run(workload);
      worst = Math.max(worst, policy.ratio());
      worstPhased = Math.max(worstPhased, policy.phasedRatio());
      sumPolicy += policy.ratio();
      sumFifo += fifo.ratio();
      sumPolicyPhased += policy.phasedRatio();
      sumFifoPhased += fifo.phasedRatio();
      System.out.printf(Locale.ROOT, "%-5d %9.0f %9.0f %10.0f %7.3f %8.3f %9.0f %7.3f %8.3f %5.0f%%%n", seed,
          policy.lowerBoundMs() / 1000.0, policy.phasedLowerBoundMs() / 1000.0, policy.makespanMs() / 1000.0,
          policy.ratio(), policy.phasedRatio(), fifo.makespanMs() / 1000.0, fifo.ratio(), fifo.phasedRatio(),
          policy.utilization() * 100);
    }
    System.out.printf(Locale.ROOT, "mean ratio to the lower bound:  policy %.3f, fifo %.3f (policy worst %.3f)%n",
        sumPolicy / seeds, sumFifo / seeds, worst);
    System.out.printf(Locale.ROOT, "mean ratio to the phased bound: policy %.3f, fifo %.3f (policy worst %.3f)%n",
        sumPolicyPhased / seeds, sumFifoPhased / seeds, worstPhased);
  }

  private SimulationComparison() {}
}
