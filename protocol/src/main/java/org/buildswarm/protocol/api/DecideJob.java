package org.buildswarm.protocol.api;

/**
 * An operator's decision about a deploy step held after its drone was lost mid-deploy.
 *
 * @param decision {@code retry} (run it again), {@code failed} (the saga rolls back) or
 *     {@code succeeded} (it did deploy)
 */
public record DecideJob(long runId, long jobId, String decision, String requestedBy) {}
