package org.buildswarm.protocol.api;

import java.util.List;

/** All drones the orchestrator knows. */
public record DroneList(List<DroneView> drones) {
  public DroneList {
    drones = List.copyOf(drones);
  }
}
