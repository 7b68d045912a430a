package org.buildswarm.protocol.message;

/**
 * The orchestrator's answer to a drone report. {@code accepted=false} means the report was stale
 * (its token is not the attempt's current one): the drone must drop it, not retry it.
 */
public record ReportReply(boolean accepted, String reason) {
  public static ReportReply ok() {
    return new ReportReply(true, null);
  }

  public static ReportReply stale(String reason) {
    return new ReportReply(false, reason);
  }
}
