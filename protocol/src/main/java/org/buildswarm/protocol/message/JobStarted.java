package org.buildswarm.protocol.message;

/** Drone → orchestrator: the attempt's first step is running. */
public record JobStarted(String drone, AttemptRef attempt, long startedAt) implements FromDrone {}
