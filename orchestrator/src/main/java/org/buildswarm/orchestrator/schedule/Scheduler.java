package org.buildswarm.orchestrator.schedule;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Decides where ready jobs run. A pure function of its inputs: no clock, no I/O, no Vert.x, so it
 * is unit-tested on generated states and benchmarked with JMH.
 *
 * <p>Contract: never places more cores on a drone than it has free; places only on accepting
 * drones whose labels include the job's; avoids the drones in a job's avoid set unless no other
 * registered drone could ever run it; never gives a drone more jobs than its job slots; reports as
 * unschedulable exactly the jobs no registered drone could run even when idle.
 */
public interface Scheduler {
  /**
   * @param runningCoresByProject cores each project already holds on drones (for fair share)
   */
  SchedulingResult schedule(List<ReadyJob> ready, Collection<DroneSlot> drones, Map<String, Integer> runningCoresByProject);
}
