package org.buildswarm.protocol.message;

import java.util.List;
import org.buildswarm.protocol.DroneMode;

/**
 * The orchestrator's answer to a registration: its epoch, the lease terms, attempts to kill, and
 * the mode an operator set for this drone ({@code null}: the drone's own).
 */
public record DroneRegistered(
    String drone, long epoch, long heartbeatIntervalMs, long leaseMs, List<AttemptRef> kill, DroneMode mode)
    implements ToDrone {
  public DroneRegistered {
    kill = kill == null ? List.of() : List.copyOf(kill);
  }
}
