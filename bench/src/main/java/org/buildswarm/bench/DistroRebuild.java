package org.buildswarm.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.buildswarm.orchestrator.simulate.Workload;

/**
 * A deterministic synthetic "rebuild the whole distribution" workload: packages in dependency
 * layers (toolchain, base libraries, libraries, applications), each depending on a few packages of
 * earlier layers with a preference for the popular low-level ones, with durations spread like real
 * package builds (most take a minute or two, a few take most of an hour) and the cores a build of
 * that size would use. The same seed always gives the same workload.
 */
public final class DistroRebuild {
  /** The fleet of issue 4: four build hosts of 16, 8, 14 and 20 cores. */
  public static List<Workload.Drone> fleet() {
    return List.of(new Workload.Drone("build-16", 16, List.of()), new Workload.Drone("build-08", 8, List.of()),
        new Workload.Drone("build-14", 14, List.of()), new Workload.Drone("build-20", 20, List.of()));
  }

  public static Workload generate(int packages, long seed) {
    return new Workload(fleet(), packages(packages, seed));
  }

  public static List<Workload.Job> packages(int count, long seed) {
    Random random = new Random(seed);
    List<Workload.Job> jobs = new ArrayList<>(count);
    List<Integer> popularity = new ArrayList<>(); // each index appears once per dependent, for preferential picks
    int toolchain = Math.max(3, count / 60);
    int base = Math.max(10, count / 8);
    int libraries = count / 2;
    for (int i = 0; i < count; i++) {
      int layer = i < toolchain ? 0 : i < toolchain + base ? 1 : i < toolchain + base + libraries ? 2 : 3;
      Set<String> needs = new LinkedHashSet<>();
      if (i > 0) {
        int wanted = switch (layer) {
          case 0 -> 1;
          case 1 -> 1 + random.nextInt(2);
          case 2 -> 1 + random.nextInt(4);
          default -> 2 + random.nextInt(5);
        };
        for (int k = 0; k < wanted; k++) {
          int need = !popularity.isEmpty() && random.nextInt(3) > 0
              ? popularity.get(random.nextInt(popularity.size()))
              : random.nextInt(i);
          if (need < i) {
            needs.add(name(need));
          }
        }
        if (layer == 0) {
          needs.clear();
          needs.add(name(i - 1)); // the toolchain bootstraps in a chain
        }
      }
      for (String need : needs) {
        popularity.add(Integer.parseInt(need.substring(4)));
      }
      // Log-normal durations around a minute and a half; toolchain and some applications are big.
      double minutes = Math.exp(random.nextGaussian() * 0.9 + Math.log(1.5));
      if (layer == 0) {
        minutes = 8 + random.nextInt(12);
      } else if (random.nextInt(40) == 0) {
        minutes = 15 + random.nextInt(30);
      }
      long durationMs = Math.max(5_000, Math.round(minutes * 60_000));
      int cores = minutes > 20 ? 8 : minutes > 6 ? 4 : minutes > 2 ? 2 : 1;
      if (layer == 0) {
        cores = 8;
      }
      jobs.add(new Workload.Job(name(i), cores, durationMs, List.copyOf(needs), List.of()));
    }
    return jobs;
  }

  private static String name(int index) {
    return String.format(java.util.Locale.ROOT, "pkg-%03d", index);
  }

  private DistroRebuild() {}
}
