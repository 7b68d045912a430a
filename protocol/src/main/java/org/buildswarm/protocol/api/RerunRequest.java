package org.buildswarm.protocol.api;

/** Starts a new run of the pipeline that run {@code runId} ran, from the same source. */
public record RerunRequest(long runId, String requestedBy) {}
