package org.buildswarm.protocol.message;

/**
 * The orchestrator's answer to a drone report. {@code accepted=false} means the report was stale
 * (its token is not the attempt's current one): the drone must drop it, not retry it.
 */
public record ReportReply(String drone, boolean accepted, String reason) implements ToDrone {
  public static ReportReply ok(String drone) {
    return new ReportReply(drone, true, null);
  }

  public static ReportReply stale(String drone, String reason) {
    return new ReportReply(drone, false, reason);
  }
}
