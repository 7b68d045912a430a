package org.buildswarm.protocol.message;

import java.util.List;
import org.buildswarm.protocol.DroneMode;

/**
 * Renews a drone's lease and reports its capacity and what it runs.
 *
 * @param refusal why the drone's host takes no new work now (from its host guard), null if it does
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
    HostRefusal refusal) implements FromDrone {
  public Heartbeat {
    running = running == null ? List.of() : List.copyOf(running);
    mode = mode == null ? DroneMode.ACTIVE : mode;
  }
}
