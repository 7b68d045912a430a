package org.buildswarm.protocol.message;

/** The drone's ack of an assignment; a refusal says why (draining, no room, stale epoch). */
public record AssignReply(boolean accepted, String reason) {
  public static AssignReply accept() {
    return new AssignReply(true, null);
  }

  /** The refusal of a drone that is shutting down: not a fault of the drone's. */
  public static final String STOPPING = "stopping";

  public static AssignReply refuse(String reason) {
    return new AssignReply(false, reason);
  }
}
