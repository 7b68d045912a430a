package org.buildswarm.orchestrator.schedule;

import java.util.List;

/**
 * One scheduling round's decisions. Ready jobs in neither list simply wait for room.
 */
public record SchedulingResult(List<Placement> placements, List<Unschedulable> unschedulable) {
  public SchedulingResult {
    placements = List.copyOf(placements);
    unschedulable = List.copyOf(unschedulable);
  }
}
