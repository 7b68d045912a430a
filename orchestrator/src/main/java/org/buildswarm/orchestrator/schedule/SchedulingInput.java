package org.buildswarm.orchestrator.schedule;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Everything one scheduling round looks at.
 *
 * @param nowMs the round's time, on the same clock as {@link DroneSlot.Release#atMs()}
 * @param runningCoresByProject cores each project already holds on drones (for fair share)
 */
public record SchedulingInput(
    long nowMs, List<ReadyJob> ready, Collection<DroneSlot> drones, Map<String, Integer> runningCoresByProject) {
  public SchedulingInput {
    ready = List.copyOf(ready);
    drones = List.copyOf(drones);
    runningCoresByProject = Map.copyOf(runningCoresByProject);
  }
}
