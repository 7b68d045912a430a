package org.buildswarm.protocol.api;

/**
 * Starts a new run of the pipeline that run {@code runId} ran, from the same source.
 *
 * @param ignoreCache a forced re-run: its jobs run whatever the cache holds
 */
public record RerunRequest(long runId, String requestedBy, boolean ignoreCache) {
  public RerunRequest(long runId, String requestedBy) {
    this(runId, requestedBy, false);
  }
}
