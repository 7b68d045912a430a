package org.buildswarm.protocol.message;

import org.buildswarm.protocol.DroneMode;

/** Orchestrator → drone: take new work ({@code ACTIVE}) or not ({@code DRAINING}, {@code PAUSED}). */
public record ChangeMode(String drone, long epoch, DroneMode mode, String reason) implements DroneCommand {}
