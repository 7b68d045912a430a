package org.buildswarm.protocol.api;

import java.util.List;

/**
 * A drone as the orchestrator sees it. {@code state}: online, draining, paused, grounded,
 * unavailable, reconnecting, lost; {@code reason} says why it is grounded or unavailable.
 */
public record DroneView(
    String name,
    String host,
    String state,
    int cores,
    int busyCores,
    List<String> labels,
    double load1,
    long memoryTotalBytes,
    long memoryAvailableBytes,
    List<Long> runningJobs,
    long lastSeenAt,
    String reason) {
  public DroneView {
    labels = labels == null ? List.of() : List.copyOf(labels);
    runningJobs = runningJobs == null ? List.of() : List.copyOf(runningJobs);
  }
}
