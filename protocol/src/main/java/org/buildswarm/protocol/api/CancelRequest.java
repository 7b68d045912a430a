package org.buildswarm.protocol.api;

/** Cancels a whole run ({@code jobId} null) or one job of it. */
public record CancelRequest(long runId, Long jobId, String requestedBy) {}
