package org.buildswarm.protocol.api;

/** Asks for the drones the orchestrator knows. */
public record ListDrones() {}
