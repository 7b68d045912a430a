package org.buildswarm.protocol.api;

import java.util.Map;

/**
 * One entry of the append-only event log. {@code seq} is the log's global order; {@code data}
 * holds the type-specific facts (drone, token, exit code, reason…).
 */
public record EventRecord(long seq, long at, long runId, Long jobId, String type, Map<String, Object> data) {
  public EventRecord {
    data = data == null ? Map.of() : Map.copyOf(data);
  }
}
