package org.buildswarm.protocol.message;

/**
 * What the orchestrator sends to one drone's address ({@link org.buildswarm.protocol.Addresses#drone}):
 * this list and nothing else, so the orchestrator cannot send, and the drone need not expect, any
 * other kind. Commands from an epoch older than the newest the drone has seen are ignored.
 */
public sealed interface DroneCommand extends ToDrone permits Ping, AssignJob, ChangeMode, CancelAttempt {}
