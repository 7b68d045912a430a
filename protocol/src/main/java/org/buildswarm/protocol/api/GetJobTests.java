package org.buildswarm.protocol.api;

/**
 * Asks for a job's test results.
 *
 * @param attempt the attempt; null for the latest attempt that has results
 */
public record GetJobTests(long jobId, Integer attempt) {}
