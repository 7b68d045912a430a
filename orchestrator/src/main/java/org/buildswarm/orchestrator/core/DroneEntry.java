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
  /** How the drone keeps jobs away from itself, as it said when registering; null if it did not say. */
  String sandbox;
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
  /** Why the drone's host takes no new work (from its heartbeat or its refusal of an assignment), or null. */
  org.buildswarm.protocol.message.HostRefusal refusal;
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
      busy += job.heldCores();
    }
    return busy;
  }

  /** Shutting down (said so in its last heartbeat, or refused work for it): its stopped jobs are not its fault. */
  boolean isLeaving() {
    return refusal != null && refusal.signal() == org.buildswarm.protocol.message.HostRefusal.Signal.LEAVING;
  }

  /** Whether its host guard holds back new work now (a pressure signal only while it runs something). */
  boolean refusing() {
    return refusal != null && refusal.applies(attempts.size());
  }

  boolean isGrounded(long now) {
    return groundedUntil > now;
  }

  DroneMode mode() {
    return operatorMode != null ? operatorMode : reportedMode;
  }

  boolean accepting(long now) {
    return presence == Presence.ONLINE && mode() == DroneMode.ACTIVE && !isGrounded(now) && !refusing()
        && !(ephemeral && ephemeralUsed);
  }

  /** The state users see: online, draining, paused, grounded, unavailable (its host refuses work), reconnecting, lost. */
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
    if (refusing() && mode() == DroneMode.ACTIVE) {
      return "unavailable";
    }
    return switch (mode()) {
      case ACTIVE -> "online";
      case DRAINING -> "draining";
      case PAUSED -> "paused";
    };
  }

  /** Why it is in its visible state, for people; null when it is simply online and idle or busy. */
  String reason(long now) {
    if (presence == Presence.LOST) {
      return "no heartbeat since " + java.time.Instant.ofEpochMilli(lastSeenAt);
    }
    if (presence == Presence.EXPECTED) {
      return "had jobs when the orchestrator restarted; waiting for it to register again";
    }
    if (isGrounded(now)) {
      return "grounded until " + WaitExplainer.clock(groundedUntil) + " (" + OrchestratorCore.formatMillis(groundedUntil - now)
          + " from now) after repeated infrastructure failures";
    }
    if (ephemeral && ephemeralUsed) {
      return "ephemeral: it has taken its one job";
    }
    if (refusal != null) {
      if (!refusal.whileBusyOnly()) {
        return refusal.message();
      }
      return (refusing() ? "takes no new work while it runs a job: " : "takes one job at a time: ") + refusal.message();
    }
    return switch (mode()) {
      case ACTIVE -> null;
      case DRAINING -> operatorMode == DroneMode.DRAINING ? "drained by an operator: it finishes its jobs and takes no more"
          : "draining: it finishes its jobs and takes no more";
      case PAUSED -> operatorMode == DroneMode.PAUSED ? "paused by an operator" : "paused";
    };
  }

  List<Long> runningJobIds() {
    return List.copyOf(attempts.keySet());
  }
}
