package org.buildswarm.orchestrator.schedule;

import java.util.List;

/**
 * One scheduling round's decisions. Ready jobs in none of the lists simply wait for room;
 * {@code deferred} says why some that had room were not placed.
 */
public record SchedulingResult(List<Placement> placements, List<Unschedulable> unschedulable, List<Deferred> deferred) {
  public SchedulingResult {
    placements = List.copyOf(placements);
    unschedulable = List.copyOf(unschedulable);
    deferred = List.copyOf(deferred);
  }

  public SchedulingResult(List<Placement> placements, List<Unschedulable> unschedulable) {
    this(placements, unschedulable, List.of());
  }
}
