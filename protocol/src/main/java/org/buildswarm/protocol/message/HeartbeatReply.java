package org.buildswarm.protocol.message;

import java.util.List;

/**
 * {@code reregister}: the orchestrator does not know this drone (restarted, or declared it lost).
 * {@code kill}: attempts the drone runs that are no longer current; stop them and drop their reports.
 */
public record HeartbeatReply(String drone, boolean reregister, List<AttemptRef> kill) implements ToDrone {
  public HeartbeatReply {
    kill = kill == null ? List.of() : List.copyOf(kill);
  }
}
