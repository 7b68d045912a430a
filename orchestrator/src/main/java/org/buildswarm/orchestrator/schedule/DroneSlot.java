package org.buildswarm.orchestrator.schedule;

import java.util.Set;

/**
 * A registered drone as the scheduler sees it.
 *
 * @param accepting false while paused, draining, grounded or not yet confirmed: it still counts for
 *     "could any drone ever run this job", but gets no new work
 * @param jobSlots how many more jobs it may take this round regardless of cores (1 for an unused
 *     ephemeral drone, {@link #UNLIMITED} otherwise)
 */
public record DroneSlot(String name, int totalCores, int freeCores, Set<String> labels, boolean accepting, int jobSlots) {
  public static final int UNLIMITED = Integer.MAX_VALUE;

  public DroneSlot(String name, int totalCores, int freeCores, Set<String> labels, boolean accepting) {
    this(name, totalCores, freeCores, labels, accepting, UNLIMITED);
  }

  public DroneSlot {
    labels = Set.copyOf(labels);
  }
}
