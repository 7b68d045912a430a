package org.buildswarm.protocol.message;

/** Orchestrator → drone: stop this attempt (SIGTERM to its process tree, grace, SIGKILL). */
public record CancelAttempt(String drone, long epoch, AttemptRef attempt, String reason) implements DroneCommand {}
