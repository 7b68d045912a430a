package org.buildswarm.orchestrator.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.buildswarm.protocol.DroneMode;

/** A drone the core knows (mutable; owned by the core's single thread). */
final class DroneEntry {
  enum Presence {
    /** Registered and within its lease. */
    ONLINE,
    /** Holds attempts recovered from the store after an orchestrator restart; not yet re-registered. */
    EXPECTED,
    /** Missed its lease; its attempts were requeued. */
    LOST
  }

  final String name;
  String host;
  int cores;
  Set<String> labels = Set.of();
  /** What the drone says it does. */
  DroneMode reportedMode = DroneMode.ACTIVE;
  /** What an operator decided (drain, pause, resume); null leaves it to the drone. */
  DroneMode operatorMode;
  boolean ephemeral;
  boolean ephemeralUsed;
  Presence presence;
  long leaseExpiresAt;
  long lastSeenAt;
  double load1;
  long memoryTotalBytes;
  long memoryAvailableBytes;
  long groundedUntil;
  /** Why the drone's host takes no new work (from its heartbeat), or null. */
  String unavailable;
  /** The cluster did not route an assignment to it: it must subscribe and register again. */
  boolean mustRelisten;
  final Deque<Long> infraFailures = new ArrayDeque<>();
  /** Attempts on it, by job id. */
  final Map<Long, JobEntry> attempts = new LinkedHashMap<>();

  DroneEntry(String name, Presence presence) {
    this.name = name;
    this.presence = presence;
  }

  int busyCores() {
    int busy = 0;
    for (JobEntry job : attempts.values()) {
      busy += job.plan.cores();
    }
    return busy;
  }

  /** Shutting down (said so in its last heartbeat, or refused work for it): its stopped jobs are not its fault. */
  boolean isLeaving() {
    return org.buildswarm.protocol.message.Heartbeat.LEAVING.equals(unavailable);
  }

  boolean isGrounded(long now) {
    return groundedUntil > now;
  }

  DroneMode mode() {
    return operatorMode != null ? operatorMode : reportedMode;
  }

  boolean accepting(long now) {
    return presence == Presence.ONLINE && mode() == DroneMode.ACTIVE && !isGrounded(now) && unavailable == null
        && !(ephemeral && ephemeralUsed);
  }

  /** The state users see: online, draining, paused, grounded, unavailable, reconnecting, lost. */
  String visibleState(long now) {
    if (presence == Presence.LOST) {
      return "lost";
    }
    if (presence == Presence.EXPECTED) {
      return "reconnecting";
    }
    if (isGrounded(now)) {
      return "grounded";
    }
    if (unavailable != null && mode() == DroneMode.ACTIVE) {
      return "unavailable";
    }
    return switch (mode()) {
      case ACTIVE -> "online";
      case DRAINING -> "draining";
      case PAUSED -> "paused";
    };
  }

  List<Long> runningJobIds() {
    return List.copyOf(attempts.keySet());
  }
}
