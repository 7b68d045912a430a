package org.buildswarm.orchestrator.schedule;

/**
 * Decides where ready jobs run. A pure function of its input: no clock, no I/O, no Vert.x, so it
 * is unit-tested on generated states and benchmarked with JMH.
 *
 * <p>Contract: never places more cores on a drone than it has free; places only on accepting
 * drones whose labels include the job's; avoids the drones in a job's avoid set unless no other
 * registered drone could ever run it; never gives a drone more jobs than its job slots; reports as
 * unschedulable exactly the jobs no registered drone could run even when idle.
 */
public interface Scheduler {
  SchedulingResult schedule(SchedulingInput input);
}
