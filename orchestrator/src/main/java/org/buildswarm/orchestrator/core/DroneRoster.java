package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.buildswarm.orchestrator.core.DroneEntry.Presence;
import org.buildswarm.orchestrator.schedule.DroneSlot;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.ChangeMode;
import org.buildswarm.protocol.message.DroneRegistered;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HeartbeatReply;
import org.buildswarm.protocol.message.RegisterDrone;

/**
 * The drones the core knows: registration (join token, protocol version), leases renewed by
 * heartbeats, attempts held on each, and the circuit breaker that grounds a drone with repeated
 * infrastructure failures. Part of the core: same thread, same clock.
 */
public final class DroneRoster {
  private static final Pattern DRONE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  /** An assignment younger than this may be missing from a heartbeat without being lost. */
  private static final long ASSIGNMENT_SETTLE_MS = 5_000;

  /** The answer to a registration: accepted with lease terms, or refused with a reason. */
  public record Registration(DroneRegistered accepted, String refusal) {}

  private final CoreOptions options;
  private final OrchestratorCore core;
  private final Map<String, DroneEntry> drones = new TreeMap<>();
  /** Operators' settings for drones that have not registered since this orchestrator started. */
  private final Map<String, DroneMode> savedOperatorModes = new HashMap<>();
  private final Map<Long, Long> assignedAt = new HashMap<>();
  /** Registered drones or their sizes and labels changed: which jobs can run anywhere may have too. */
  private boolean changed;

  /** Whether the drones changed since the last call (and forgets it). */
  boolean consumeChanged() {
    boolean was = changed;
    changed = false;
    return was;
  }

  DroneRoster(CoreOptions options, OrchestratorCore core) {
    this.options = options;
    this.core = core;
  }

  public Registration register(RegisterDrone request) {
    String refusal = refusal(request);
    if (refusal != null) {
      core.recordSwarmEvent(EventType.DRONE_REFUSED, Map.of("drone", String.valueOf(request.drone()), "reason", refusal));
      return new Registration(null, refusal);
    }
    long now = core.now();
    DroneEntry drone = drones.computeIfAbsent(request.drone(), name -> new DroneEntry(name, Presence.ONLINE));
    DroneMode saved = savedOperatorModes.remove(drone.name);
    if (saved != null && drone.operatorMode == null) {
      drone.operatorMode = saved;
    }
    Set<Long> reportedTokens = new HashSet<>();
    for (AttemptRef attempt : request.running()) {
      reportedTokens.add(attempt.token());
    }
    // Attempts we believe it holds but it no longer runs were lost (e.g. the drone restarted).
    for (JobEntry job : new ArrayList<>(drone.attempts.values())) {
      if (!reportedTokens.contains(job.token)) {
        core.infrastructureRequeue(job, now, "drone " + drone.name + " came back without it");
      }
    }
    List<AttemptRef> kill = new ArrayList<>();
    for (AttemptRef attempt : request.running()) {
      JobEntry job = core.job(attempt.jobId());
      boolean current = job != null && job.state.isOnDrone() && job.token == attempt.token()
          && drone.name.equals(job.drone) && drone.attempts.containsKey(job.id);
      if (!current && !core.readoptHeld(drone, attempt, now)) {
        kill.add(attempt);
      }
    }
    drone.host = request.host();
    drone.sandbox = request.sandbox();
    drone.cores = request.cores();
    drone.labels = Set.copyOf(request.labels());
    drone.reportedMode = request.mode();
    drone.refusal = null; // a drone registering anew is not leaving; its heartbeats say how it is
    drone.ephemeral = request.ephemeral();
    drone.presence = Presence.ONLINE;
    changed = true;
    drone.lastSeenAt = now;
    drone.leaseExpiresAt = now + options.leaseMs();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("drone", drone.name);
    data.put("cores", drone.cores);
    data.put("labels", List.copyOf(drone.labels));
    data.put("adopted", drone.attempts.size());
    core.recordSwarmEvent(EventType.DRONE_REGISTERED, data, status(drone));
    return new Registration(
        new DroneRegistered(drone.name, core.epoch(), options.heartbeatIntervalMs(), options.leaseMs(), kill,
            drone.operatorMode), null);
  }

  private String refusal(RegisterDrone request) {
    if (request.protocolVersion() != ProtocolVersion.CURRENT) {
      return "protocol version " + request.protocolVersion() + " does not match the orchestrator's version "
          + ProtocolVersion.CURRENT + "; install the same buildswarm release on both";
    }
    if (request.drone() == null || !DRONE_NAME.matcher(request.drone()).matches()) {
      return "drone name must start with a letter or digit and hold only letters, digits, '_', '.' and '-'";
    }
    if (request.cores() < 1) {
      return "a drone needs at least one core";
    }
    return null;
  }

  public HeartbeatReply heartbeat(Heartbeat heartbeat) {
    DroneEntry drone = drones.get(heartbeat.drone());
    if (drone == null || drone.presence != Presence.ONLINE) {
      return new HeartbeatReply(heartbeat.drone(), true, List.of());
    }
    if (drone.mustRelisten) {
      drone.mustRelisten = false;
      return new HeartbeatReply(heartbeat.drone(), true, List.of());
    }
    long now = core.now();
    drone.lastSeenAt = now;
    drone.leaseExpiresAt = now + options.leaseMs();
    drone.load1 = heartbeat.load1();
    drone.memoryTotalBytes = heartbeat.memoryTotalBytes();
    drone.memoryAvailableBytes = heartbeat.memoryAvailableBytes();
    drone.reportedMode = heartbeat.mode();
    refusing(drone, heartbeat.refusal());
    if (drone.operatorMode != null && drone.operatorMode != heartbeat.mode()) {
      core.commandDrone(drone.name, new ChangeMode(drone.name, core.epoch(), drone.operatorMode, "set by an operator"));
    }
    List<AttemptRef> kill = new ArrayList<>();
    Set<Long> reported = new HashSet<>();
    for (AttemptRef attempt : heartbeat.running()) {
      JobEntry job = drone.attempts.get(attempt.jobId());
      if ((job == null || job.token != attempt.token()) && core.readoptHeld(drone, attempt, now)) {
        job = drone.attempts.get(attempt.jobId());
      }
      if (job == null || job.token != attempt.token()) {
        kill.add(attempt);
      } else {
        reported.add(job.id);
      }
    }
    for (JobEntry job : new ArrayList<>(drone.attempts.values())) {
      Long since = assignedAt.get(job.id);
      if (!reported.contains(job.id) && since != null && now - since > ASSIGNMENT_SETTLE_MS) {
        core.infrastructureRequeue(job, now, "drone " + drone.name + " no longer runs it");
      }
    }
    return new HeartbeatReply(drone.name, false, kill);
  }

  /**
   * What the drone's host guard says now (from a heartbeat, or a refused assignment). A change of
   * signal is an event; a pressure that only changes its reading is not.
   */
  void refusing(DroneEntry drone, org.buildswarm.protocol.message.HostRefusal refusal) {
    org.buildswarm.protocol.message.HostRefusal before = drone.refusal;
    drone.refusal = refusal;
    if (before == null ? refusal == null : refusal != null && before.signal() == refusal.signal()) {
      return; // only the reading changed
    }
    changed = true;
    if (refusal == null) {
      core.recordSwarmEvent(EventType.DRONE_AVAILABLE, Map.of("drone", drone.name));
    } else {
      core.recordSwarmEvent(EventType.DRONE_UNAVAILABLE, Map.of("drone", drone.name, "signal", refusal.signal().label(),
          "whileBusyOnly", refusal.whileBusyOnly(), "reason", refusal.message()));
    }
  }

  /**
   * An operator drains, pauses or resumes a drone. It takes effect for scheduling at once, is sent
   * to the drone, and is kept for when the drone registers again.
   *
   * @return the drone as it is now, or empty if no such drone is known
   */
  public java.util.Optional<org.buildswarm.protocol.api.DroneView> setMode(String name, DroneMode mode, String requestedBy) {
    DroneEntry drone = drones.get(name);
    if (drone == null) {
      return java.util.Optional.empty();
    }
    drone.operatorMode = mode;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("drone", name);
    data.put("mode", mode.name());
    if (requestedBy != null) {
      data.put("requestedBy", requestedBy);
    }
    core.recordSwarmEvent(EventType.DRONE_MODE, data, status(drone));
    if (drone.presence == Presence.ONLINE) {
      core.commandDrone(name, new ChangeMode(name, core.epoch(), mode, "set by " + (requestedBy == null ? "an operator" : requestedBy)));
    }
    return java.util.Optional.of(CoreViews.drone(drone, core.now()));
  }

  /** An assignment to the drone found no subscriber: have it subscribe and register again. */
  public void unreachable(String name) {
    DroneEntry drone = drones.get(name);
    if (drone != null) {
      drone.mustRelisten = true;
    }
  }

  /** Declares drones past their lease lost and requeues their attempts, each exactly once. */
  void expireLeases(long now) {
    for (DroneEntry drone : drones.values()) {
      if (drone.presence != Presence.LOST && drone.leaseExpiresAt <= now) {
        drone.presence = Presence.LOST;
        changed = true;
        core.counters().leasesExpired++;
        core.recordSwarmEvent(EventType.DRONE_LOST, Map.of("drone", drone.name, "attempts", drone.attempts.size(),
            "silentMs", now - drone.lastSeenAt), status(drone));
        for (JobEntry job : new ArrayList<>(drone.attempts.values())) {
          core.infrastructureRequeue(job, now, "drone " + drone.name + " was lost (no heartbeat for "
              + OrchestratorCore.formatMillis(now - drone.lastSeenAt) + ")");
        }
      }
    }
  }

  /** Operators' settings kept in the store, applied when each drone registers again. */
  public void restoreOperatorModes(Map<String, DroneMode> modes) {
    savedOperatorModes.putAll(modes);
  }

  private static org.buildswarm.orchestrator.store.DroneStatus status(DroneEntry drone) {
    return new org.buildswarm.orchestrator.store.DroneStatus(drone.name, drone.host, drone.cores,
        List.copyOf(new java.util.TreeSet<>(drone.labels)), drone.operatorMode, drone.lastSeenAt);
  }

  /** A job recovered from the store as running on this drone, before the drone re-registers. */
  void expectAttempt(String droneName, JobEntry job, long now) {
    DroneEntry drone = drones.computeIfAbsent(droneName, name -> {
      DroneEntry expected = new DroneEntry(name, Presence.EXPECTED);
      expected.leaseExpiresAt = now + options.leaseMs();
      expected.lastSeenAt = now;
      return expected;
    });
    drone.attempts.put(job.id, job);
    assignedAt.put(job.id, now);
  }

  void attach(DroneEntry drone, JobEntry job, long now) {
    drone.attempts.put(job.id, job);
    assignedAt.put(job.id, now);
    if (drone.ephemeral) {
      drone.ephemeralUsed = true;
    }
  }

  void detach(DroneEntry drone, JobEntry job) {
    if (drone != null && drone.attempts.get(job.id) == job) {
      drone.attempts.remove(job.id);
      assignedAt.remove(job.id);
    }
  }

  /** Circuit breaker: too many infrastructure failures in the window ground the drone for a while. */
  void infrastructureFailure(DroneEntry drone, long now) {
    if (drone == null) {
      return;
    }
    drone.infraFailures.addLast(now);
    while (!drone.infraFailures.isEmpty() && now - drone.infraFailures.peekFirst() > options.groundWindowMs()) {
      drone.infraFailures.removeFirst();
    }
    if (drone.infraFailures.size() >= options.groundAfterInfraFailures() && !drone.isGrounded(now)) {
      drone.groundedUntil = now + options.groundCooldownMs();
      drone.infraFailures.clear();
      core.recordSwarmEvent(EventType.DRONE_GROUNDED, Map.of("drone", drone.name, "untilMs", drone.groundedUntil));
    }
  }

  DroneEntry get(String name) {
    return name == null ? null : drones.get(name);
  }

  Collection<DroneEntry> all() {
    return drones.values();
  }

  /** Free cores of drones that take work now. */
  int freeAcceptingCores(long now) {
    int free = 0;
    for (DroneEntry drone : drones.values()) {
      if (drone.accepting(now)) {
        free += Math.max(0, drone.cores - drone.busyCores());
      }
    }
    return free;
  }

  Collection<DroneSlot> slots(long now) {
    List<DroneSlot> slots = new ArrayList<>(drones.size());
    for (DroneEntry drone : drones.values()) {
      if (drone.presence == Presence.ONLINE) {
        slots.add(new DroneSlot(drone.name, drone.cores, Math.max(0, drone.cores - drone.busyCores()), drone.labels,
            drone.accepting(now), jobSlots(drone), releases(drone, now)));
      }
    }
    return slots;
  }

  /**
   * How many more jobs it may take now, whatever its cores: one for an unused ephemeral drone, and
   * one for an idle drone whose host is under pressure (it takes work only while it runs nothing).
   */
  private static int jobSlots(DroneEntry drone) {
    if (drone.ephemeral) {
      return drone.ephemeralUsed ? 0 : 1;
    }
    if (drone.refusal != null && drone.refusal.whileBusyOnly()) {
      return drone.attempts.isEmpty() ? 1 : 0;
    }
    return DroneSlot.UNLIMITED;
  }

  /** When each attempt on the drone is expected to end, from its estimate; overdue ones "any moment now". */
  private List<DroneSlot.Release> releases(DroneEntry drone, long now) {
    List<DroneSlot.Release> releases = new ArrayList<>(drone.attempts.size());
    for (JobEntry job : drone.attempts.values()) {
      if (job.heldCores() == 0) {
        continue; // already given back
      }
      long since = job.startedAt != null ? job.startedAt : assignedAt.getOrDefault(job.id, now);
      releases.add(new DroneSlot.Release(job.heldCores(), Math.max(now + 1, since + job.plan.estimateMs())));
    }
    return releases;
  }

  Map<String, Integer> runningCoresByProject() {
    Map<String, Integer> usage = new HashMap<>();
    for (DroneEntry drone : drones.values()) {
      for (JobEntry job : drone.attempts.values()) {
        usage.merge(job.run.project, job.heldCores(), Integer::sum);
      }
    }
    return usage;
  }
}
