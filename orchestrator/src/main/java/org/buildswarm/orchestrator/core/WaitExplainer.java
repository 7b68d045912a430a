package org.buildswarm.orchestrator.core;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.buildswarm.orchestrator.schedule.Deferred;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.api.WaitReason;
import org.buildswarm.protocol.api.WaitReason.Code;

/**
 * Says why a job that is not running is not: from its own state (needs, gates, backoff, held), then
 * from the drones that could run it (none accepts: each one's reason; all busy: the closest), then
 * from what the last scheduling round decided about it (a reservation, fair share). Read-only over
 * the core's state, on the core's thread; one instance per view, so jobs alike (same cores and
 * labels) are explained once against the drones.
 */
final class WaitExplainer {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
  private static final int NAMED = 3;

  private final DroneRoster roster;
  private final java.util.function.LongFunction<JobEntry> jobs;
  private final long now;
  private final Map<Shape, WaitReason> byShape = new HashMap<>();

  private record Shape(int cores, Set<String> labels, Set<String> avoid) {}

  WaitExplainer(DroneRoster roster, java.util.function.LongFunction<JobEntry> jobs, long now) {
    this.roster = roster;
    this.jobs = jobs;
    this.now = now;
  }

  /** Why the job waits, or null when it runs or has ended. */
  WaitReason explain(JobEntry job) {
    return switch (job.state) {
      case RUNNING, SUCCEEDED, FAILED, SKIPPED, CANCELLED -> null;
      case ASSIGNED -> new WaitReason(Code.STARTING, "given to drone " + job.drone + "; waiting for it to start");
      case HELD -> new WaitReason(Code.HELD, job.reason);
      case UNSCHEDULABLE -> new WaitReason(Code.UNSCHEDULABLE, job.reason);
      case WAITING -> needs(job);
      case QUEUED -> queued(job);
    };
  }

  private WaitReason needs(JobEntry job) {
    var deploy = job.plan.deploy();
    if (deploy != null && deploy.isRollback() && !job.rollbackActivated) {
      return new WaitReason(Code.NEEDS, "runs only if the deploy to " + deploy.environment() + " has to be undone");
    }
    List<String> pending = new ArrayList<>();
    for (int need : job.plan.needs()) {
      JobEntry needed = job.run.jobs.get(need);
      if (needed.state != JobState.SUCCEEDED) {
        pending.add(needed.plan.name());
      }
    }
    return new WaitReason(Code.NEEDS, "waiting for " + names(pending));
  }

  private WaitReason queued(JobEntry job) {
    if (job.parked) {
      return new WaitReason(job.parkedBy == null ? Code.CONCURRENCY_GATE : job.parkedBy, job.reason);
    }
    if (job.notBefore > now) {
      return new WaitReason(Code.RETRY_BACKOFF, "retry " + job.retriesUsed + " of " + job.plan.retries() + " in "
          + OrchestratorCore.formatMillis(job.notBefore - now));
    }
    WaitReason drones = byShape.computeIfAbsent(new Shape(job.plan.cores(), job.plan.labels(), Set.copyOf(job.avoid)),
        this::drones);
    if (drones.code() == Code.PLACING || drones.code() == Code.NO_ROOM) {
      WaitReason deferred = deferral(job);
      if (deferred != null) {
        return deferred;
      }
    }
    return drones;
  }

  /** What the last round that looked at the job decided, if it still holds. */
  private WaitReason deferral(JobEntry job) {
    Deferred deferred = job.deferral;
    if (deferred == null) {
      return null;
    }
    return switch (deferred.why()) {
      case RESERVED -> {
        JobEntry wider = jobs.apply(deferred.otherJobId());
        yield new WaitReason(Code.RESERVED, "drone " + deferred.drone() + "'s free cores are held for "
            + (wider == null ? "a wider job" : "\"" + wider.plan.name() + "\" (" + wider.plan.cores() + " cores)")
            + ", which has waited for them longer");
      }
      case FAIR_SHARE -> new WaitReason(Code.FAIR_SHARE, "another project's turn: \"" + deferred.otherProject()
          + "\" holds fewer cores, so its jobs went first (fair share)");
    };
  }

  /** Explains a job of this shape against the drones as they are now. */
  private WaitReason drones(Shape shape) {
    List<DroneEntry> accepting = new ArrayList<>();
    List<DroneEntry> avoided = new ArrayList<>();
    List<String> refusing = new ArrayList<>();
    List<String> paused = new ArrayList<>();
    List<String> grounded = new ArrayList<>();
    List<String> offline = new ArrayList<>();
    for (DroneEntry drone : roster.all()) {
      if (drone.cores < shape.cores() || !drone.labels.containsAll(shape.labels())) {
        continue;
      }
      if (drone.presence != DroneEntry.Presence.ONLINE) {
        offline.add("drone " + drone.name + (drone.presence == DroneEntry.Presence.LOST ? " was lost" : " is reconnecting"));
      } else if (drone.accepting(now)) {
        (shape.avoid().contains(drone.name) ? avoided : accepting).add(drone);
      } else if (drone.isGrounded(now)) {
        grounded.add("drone " + drone.name + " is " + drone.reason(now));
      } else if (drone.mode() != org.buildswarm.protocol.DroneMode.ACTIVE || (drone.ephemeral && drone.ephemeralUsed)) {
        paused.add("drone " + drone.name + " is " + drone.visibleState(now) + " (" + drone.reason(now) + ")");
      } else {
        refusing.add("drone " + drone.name + " takes no new work (" + drone.refusal.message() + ")");
      }
    }
    String need = "needs " + shape.cores() + (shape.cores() == 1 ? " core" : " cores")
        + (shape.labels().isEmpty() ? "" : " on " + new TreeSet<>(shape.labels()));
    String keptOff = "";
    if (accepting.isEmpty()) {
      accepting.addAll(avoided); // as the scheduler: with no other drone taking work, avoiding one would stall the job
    } else if (!avoided.isEmpty()) {
      keptOff = "; kept off " + String.join(", ", avoided.stream().map(drone -> drone.name).toList())
          + ", where it failed or was refused";
    }
    if (accepting.isEmpty()) {
      if (!refusing.isEmpty()) {
        return new WaitReason(Code.DRONES_REFUSING, join(refusing, grounded, paused, offline));
      }
      if (!grounded.isEmpty()) {
        return new WaitReason(Code.DRONES_GROUNDED, join(grounded, paused, offline));
      }
      if (!paused.isEmpty()) {
        return new WaitReason(Code.DRONES_PAUSED, join(paused, offline));
      }
      if (!offline.isEmpty()) {
        return new WaitReason(Code.DRONES_OFFLINE, join(offline));
      }
      return new WaitReason(Code.NO_ROOM, need + "; no drone has joined that could run it");
    }
    DroneEntry mostFree = null;
    int busy = 0;
    int total = 0;
    for (DroneEntry drone : accepting) {
      busy += drone.busyCores();
      total += drone.cores;
      if (mostFree == null || free(drone) > free(mostFree)) {
        mostFree = drone;
      }
    }
    if (free(mostFree) >= shape.cores()) {
      return new WaitReason(Code.PLACING, "drone " + mostFree.name + " has room; it is placed in the next round");
    }
    StringBuilder message = new StringBuilder(need).append("; ").append(busy).append('/').append(total)
        .append(" busy on ").append(accepting.size()).append(accepting.size() == 1 ? " drone" : " drones");
    if (accepting.size() > 1) {
      message.append("; most free: ").append(mostFree.name).append(" with ").append(free(mostFree));
    }
    message.append(keptOff);
    List<String> others = new ArrayList<>(refusing);
    others.addAll(grounded);
    others.addAll(paused);
    if (!others.isEmpty()) {
      message.append("; also ").append(join(others));
    }
    return new WaitReason(Code.NO_ROOM, message.toString());
  }

  private static int free(DroneEntry drone) {
    return Math.max(0, drone.cores - drone.busyCores());
  }

  @SafeVarargs
  private static String join(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> part : parts) {
      all.addAll(part);
    }
    if (all.size() <= NAMED) {
      return String.join("; ", all);
    }
    return String.join("; ", all.subList(0, NAMED)) + "; and " + (all.size() - NAMED) + " more";
  }

  private static String names(List<String> names) {
    List<String> quoted = names.stream().map(name -> "\"" + name + "\"").toList();
    if (quoted.size() <= NAMED) {
      return String.join(", ", quoted);
    }
    return String.join(", ", quoted.subList(0, NAMED)) + " and " + (quoted.size() - NAMED) + " more";
  }

  static String clock(long epochMs) {
    return CLOCK.format(Instant.ofEpochMilli(epochMs));
  }
}
