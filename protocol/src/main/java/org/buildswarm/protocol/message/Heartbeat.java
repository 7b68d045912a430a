package org.buildswarm.protocol.message;

import java.util.List;
import org.buildswarm.protocol.DroneMode;

/**
 * Renews a drone's lease and reports its capacity and what it runs.
 *
 * @param unavailable why the drone takes no new work now (low disk, over-subscribed host), null if it does
 */
public record Heartbeat(
    String drone,
    long epoch,
    int freeCores,
    double load1,
    long memoryTotalBytes,
    long memoryAvailableBytes,
    long diskFreeBytes,
    DroneMode mode,
    List<AttemptRef> running,
    String unavailable) {
  /**
   * The {@code unavailable} of a drone's last heartbeat as it shuts down: the orchestrator places
   * nothing more there, and the jobs the drone then stops and reports lost do not count against it.
   */
  public static final String LEAVING = "leaving: the drone is shutting down";

  public Heartbeat {
    running = running == null ? List.of() : List.copyOf(running);
    mode = mode == null ? DroneMode.ACTIVE : mode;
  }
}
