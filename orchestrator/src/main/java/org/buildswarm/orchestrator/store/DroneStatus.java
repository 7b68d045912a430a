package org.buildswarm.orchestrator.store;

import java.util.List;
import org.buildswarm.protocol.DroneMode;

/** A drone as the store keeps it, with the mode an operator set for it (null: none). */
public record DroneStatus(String name, String host, int cores, List<String> labels, DroneMode operatorMode, long lastSeenAt) {
  public DroneStatus {
    labels = labels == null ? List.of() : List.copyOf(labels);
  }
}
