package org.buildswarm.protocol.message;

import java.util.List;

/** The orchestrator's answer to a registration: its epoch, the lease terms, attempts to kill. */
public record DroneRegistered(String drone, long epoch, long heartbeatIntervalMs, long leaseMs, List<AttemptRef> kill) {
  public DroneRegistered {
    kill = kill == null ? List.of() : List.copyOf(kill);
  }
}
