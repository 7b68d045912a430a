package org.buildswarm.protocol.message;

import java.util.List;
import org.buildswarm.protocol.DroneMode;

/**
 * A drone announcing itself. {@code running} lists attempts still alive on it (after an
 * orchestrator restart or a network blip) so the orchestrator can adopt or kill them.
 */
public record RegisterDrone(
    String drone,
    int protocolVersion,
    String joinToken,
    String host,
    int cores,
    List<String> labels,
    DroneMode mode,
    boolean ephemeral,
    List<AttemptRef> running) {
  public RegisterDrone {
    labels = labels == null ? List.of() : List.copyOf(labels);
    running = running == null ? List.of() : List.copyOf(running);
    mode = mode == null ? DroneMode.ACTIVE : mode;
  }
}
