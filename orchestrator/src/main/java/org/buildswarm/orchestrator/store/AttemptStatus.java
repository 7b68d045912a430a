package org.buildswarm.orchestrator.store;

/**
 * One attempt of a job as the store keeps it: where it ran, under which token, when, and how it
 * ended ({@code outcome}: a drone's {@code JobOutcome}, or LOST, REFUSED, REQUEUED, CANCELLED).
 */
public record AttemptStatus(
    long jobId, int attempt, long token, String drone, long assignedAt, Long startedAt, Long endedAt, String outcome,
    Integer exitCode) {}
