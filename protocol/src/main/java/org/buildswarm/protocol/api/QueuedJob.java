package org.buildswarm.protocol.api;

/**
 * A job waiting for a drone, as the queue shows it.
 *
 * @param project the run's project (fair share is per project)
 * @param priority the trigger's priority class (higher goes first)
 * @param readySince when it became ready (epoch ms)
 * @param notBefore when a retry's backoff ends (epoch ms), 0 if it may start now
 */
public record QueuedJob(JobView job, String project, int priority, long readySince, long notBefore) {}
