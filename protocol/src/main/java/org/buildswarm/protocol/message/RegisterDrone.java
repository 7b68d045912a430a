package org.buildswarm.protocol.message;

import java.util.List;
import org.buildswarm.protocol.DroneMode;

/**
 * A drone announcing itself. {@code running} lists attempts still alive on it (after an
 * orchestrator restart or a network blip) so the orchestrator can adopt or kill them. Across hosts
 * its credentials prove it is {@code drone} (docs/security.md). {@code sandbox} says how its jobs
 * are kept away from it (e.g. "bubblewrap: …", or "none: …" and why), shown in its status.
 */
public record RegisterDrone(
    String drone,
    int protocolVersion,
    String host,
    int cores,
    List<String> labels,
    DroneMode mode,
    boolean ephemeral,
    List<AttemptRef> running,
    String sandbox) implements FromDrone {
  public RegisterDrone(String drone, int protocolVersion, String host, int cores, List<String> labels, DroneMode mode,
      boolean ephemeral, List<AttemptRef> running) {
    this(drone, protocolVersion, host, cores, labels, mode, ephemeral, running, null);
  }

  public RegisterDrone {
    labels = labels == null ? List.of() : List.copyOf(labels);
    running = running == null ? List.of() : List.copyOf(running);
    mode = mode == null ? DroneMode.ACTIVE : mode;
  }
}
