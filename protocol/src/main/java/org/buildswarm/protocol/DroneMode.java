package org.buildswarm.protocol;

/** What a drone is willing to take. */
public enum DroneMode {
  /** Takes new work. */
  ACTIVE,
  /** Finishes what it runs, takes nothing new, then stays idle. */
  DRAINING,
  /** Takes nothing new until resumed; running work finishes. */
  PAUSED
}
