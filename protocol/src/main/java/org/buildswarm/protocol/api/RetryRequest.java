package org.buildswarm.protocol.api;

/**
 * Runs jobs of run {@code runId} again within the same run, each with a new attempt: the one job
 * {@code jobId}, or, when it is null, every job that failed, timed out or was cancelled; with them
 * whatever needs them and has ended.
 *
 * @param requestedBy the name of the token that asked
 */
public record RetryRequest(long runId, Long jobId, String requestedBy) {}
