package org.buildswarm.protocol.api;

import org.buildswarm.protocol.DroneMode;

/**
 * An operator's decision about a drone: drain it (finish what it runs, take nothing new), pause
 * it, or make it active again. The orchestrator keeps the decision, also across drone restarts.
 */
public record SetDroneMode(String drone, DroneMode mode, String requestedBy) {}
