package org.buildswarm.orchestrator.schedule;

/** No registered drone could ever run this job; the reason says what is missing. */
public record Unschedulable(long jobId, String reason) {}
