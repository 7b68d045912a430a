package org.buildswarm.protocol.api;

import java.util.List;

/**
 * A drone as the orchestrator sees it. {@code state}: online, draining, paused, grounded,
 * refusing, reconnecting, lost; {@code reason} says why whenever it is not simply online.
 * {@code accepting}: whether it takes new work now (a drone refusing only while busy takes work
 * again as soon as it runs nothing).
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
    String reason,
    boolean accepting,
    String sandbox) {
  public DroneView(String name, String host, String state, int cores, int busyCores, List<String> labels, double load1,
      long memoryTotalBytes, long memoryAvailableBytes, List<Long> runningJobs, long lastSeenAt, String reason,
      boolean accepting) {
    this(name, host, state, cores, busyCores, labels, load1, memoryTotalBytes, memoryAvailableBytes, runningJobs,
        lastSeenAt, reason, accepting, null);
  }

  public DroneView {
    labels = labels == null ? List.of() : List.copyOf(labels);
    runningJobs = runningJobs == null ? List.of() : List.copyOf(runningJobs);
  }
}
