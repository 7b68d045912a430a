package org.buildswarm.orchestrator.schedule.impl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.buildswarm.orchestrator.schedule.DroneSlot;
import org.buildswarm.orchestrator.schedule.Placement;
import org.buildswarm.orchestrator.schedule.ReadyJob;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.schedule.SchedulingInput;
import org.buildswarm.orchestrator.schedule.SchedulingResult;
import org.buildswarm.orchestrator.schedule.Unschedulable;

/**
 * The plain baseline the real policy is measured against: ready jobs first come, first served, each
 * on the first drone (by name) with room. No priorities, no critical path, no best fit. Used by
 * {@code swarm simulate --policy fifo} and the benchmarks; not for production.
 */
public final class FifoScheduler implements Scheduler {
  @Override
  public SchedulingResult schedule(SchedulingInput input) {
    List<ReadyJob> ready = input.ready();
    Collection<DroneSlot> drones = input.drones();
    Map<String, int[]> free = new LinkedHashMap<>();
    List<DroneSlot> byName = new ArrayList<>(drones);
    byName.sort(Comparator.comparing(DroneSlot::name));
    for (DroneSlot drone : byName) {
      free.put(drone.name(), new int[] {drone.accepting() ? drone.freeCores() : 0, drone.jobSlots()});
    }
    List<ReadyJob> queue = new ArrayList<>(ready);
    queue.sort(Comparator.comparingLong(ReadyJob::readySince).thenComparingLong(ReadyJob::jobId));
    List<Placement> placements = new ArrayList<>();
    List<Unschedulable> unschedulable = new ArrayList<>();
    for (ReadyJob job : queue) {
      boolean fits = byName.stream().anyMatch(d -> d.totalCores() >= job.cores() && d.labels().containsAll(job.labels()));
      if (!fits) {
        unschedulable.add(new Unschedulable(job.jobId(), "no registered drone can run it"));
        continue;
      }
      for (DroneSlot drone : byName) {
        int[] room = free.get(drone.name());
        if (room[0] >= job.cores() && room[1] > 0 && drone.labels().containsAll(job.labels())) {
          room[0] -= job.cores();
          room[1]--;
          placements.add(new Placement(job.jobId(), drone.name()));
          break;
        }
      }
    }
    return new SchedulingResult(placements, unschedulable);
  }
}
