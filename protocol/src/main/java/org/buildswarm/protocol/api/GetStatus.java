package org.buildswarm.protocol.api;

/** Asks the orchestrator for its {@link SwarmStatus}. */
public record GetStatus() {}
