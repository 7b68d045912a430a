package org.buildswarm.orchestrator.schedule;

import java.util.Set;

/**
 * A job whose needs have all succeeded, as the scheduler sees it.
 *
 * @param priority the run's priority class ({@link org.buildswarm.protocol.Trigger#priority()}); higher first
 * @param criticalPathMs estimated time from this job's start to the end of its run; longer first
 * @param estimateMs how long the job itself is expected to take
 * @param readySince when it became ready (epoch ms); earlier first among equals
 * @param avoidDrones drones this job should not go to (it failed there, or the drone refused it)
 */
public record ReadyJob(
    long jobId,
    String project,
    int priority,
    long criticalPathMs,
    long estimateMs,
    long readySince,
    int cores,
    Set<String> labels,
    Set<String> avoidDrones) {
  public ReadyJob {
    labels = Set.copyOf(labels);
    avoidDrones = Set.copyOf(avoidDrones);
  }
}
