package org.buildswarm.protocol.message;

/**
 * The drone's ack of an assignment; a refusal says why (draining, no room, stale epoch, its host).
 * A refusal is the drone's answer, not a fault of the drone's: it never counts towards grounding it.
 *
 * @param host set when the drone's host guard refused: the orchestrator stops placing work there
 *     at once instead of waiting for the next heartbeat
 */
public record AssignReply(String drone, boolean accepted, String reason, HostRefusal host) implements FromDrone {
  public static AssignReply accept(String drone) {
    return new AssignReply(drone, true, null, null);
  }

  /** The refusal of a drone that is shutting down. */
  public static final String STOPPING = "stopping";

  public static AssignReply refuse(String drone, String reason) {
    return new AssignReply(drone, false, reason, null);
  }

  public static AssignReply refuse(String drone, HostRefusal host) {
    return new AssignReply(drone, false, "its host takes no new work: " + host.message(), host);
  }
}
