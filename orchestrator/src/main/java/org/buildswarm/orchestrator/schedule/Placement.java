package org.buildswarm.orchestrator.schedule;

/** Run this job on this drone. */
public record Placement(long jobId, String drone) {}
