package org.buildswarm.protocol.api;

/** Asks the orchestrator for its metrics in the Prometheus text format. */
public record GetMetrics() {}
