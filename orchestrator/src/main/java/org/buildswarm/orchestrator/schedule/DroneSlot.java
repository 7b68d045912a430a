package org.buildswarm.orchestrator.schedule;

import java.util.List;
import java.util.Set;

/**
 * A registered drone as the scheduler sees it.
 *
 * @param accepting false while paused, draining, grounded or not yet confirmed: it still counts for
 *     "could any drone ever run this job", but gets no new work
 * @param jobSlots how many more jobs it may take this round regardless of cores (1 for an unused
 *     ephemeral drone, {@link #UNLIMITED} otherwise)
 * @param releases when its running jobs are expected to give their cores back, from their
 *     estimates; lets the scheduler hold room for a wide job instead of starving it
 */
public record DroneSlot(
    String name, int totalCores, int freeCores, Set<String> labels, boolean accepting, int jobSlots,
    List<Release> releases) {
  public static final int UNLIMITED = Integer.MAX_VALUE;

  /** {@code cores} expected back at {@code atMs} (epoch ms, or virtual time in a simulation). */
  public record Release(int cores, long atMs) {}

  public DroneSlot {
    labels = Set.copyOf(labels);
    releases = releases == null ? List.of() : List.copyOf(releases);
  }

  public DroneSlot(String name, int totalCores, int freeCores, Set<String> labels, boolean accepting) {
    this(name, totalCores, freeCores, labels, accepting, UNLIMITED, List.of());
  }
}
