package org.buildswarm.protocol.api;

/** Metrics in the Prometheus text exposition format. */
public record MetricsText(String text) {}
