package org.buildswarm.protocol.message;

/** Orchestrator → drone: stop this attempt (SIGTERM to its process tree, grace, SIGKILL). */
public record CancelAttempt(long epoch, AttemptRef attempt, String reason) {}
