package org.buildswarm.orchestrator.schedule.impl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.buildswarm.orchestrator.schedule.Deferred;
import org.buildswarm.orchestrator.schedule.DroneSlot;
import org.buildswarm.orchestrator.schedule.Placement;
import org.buildswarm.orchestrator.schedule.ReadyJob;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.schedule.SchedulingInput;
import org.buildswarm.orchestrator.schedule.SchedulingResult;
import org.buildswarm.orchestrator.schedule.Unschedulable;

/**
 * The production policy.
 *
 * <ol>
 *   <li><b>Order</b>: priority class first; within a class the project holding the fewest cores
 *       goes next (fair share), and within a project the job with the longest critical path.
 *   <li><b>Place</b>: each job goes to the accepting drone whose free cores fit it most tightly
 *       (best fit), keeping big holes for big jobs.
 *   <li><b>Reserve</b>: a job that fits nowhere now gets a reservation on the drone expected to
 *       have room for it soonest (from the estimates of what runs there). Jobs after it in the
 *       order may still use that drone, but only if they end before the reservation or leave it
 *       enough cores (backfilling). Without this a wide job waits for ever while narrow ones keep
 *       taking the cores it needs.
 * </ol>
 *
 * <p>Drones are grouped by label set, and each group keeps its accepting drones in a map keyed by
 * free cores, so placing a job costs O(groups × log drones) instead of a scan of every drone.
 */
public final class BestFitScheduler implements Scheduler {
  /** Default most reservations held in one round. */
  public static final int DEFAULT_MAX_RESERVATIONS = 4;

  private static final Comparator<ReadyJob> WITHIN_PROJECT = Comparator
      .comparingLong(ReadyJob::criticalPathMs).reversed()
      .thenComparingLong(ReadyJob::readySince)
      .thenComparingLong(ReadyJob::jobId);

  private final int maxReservations;

  public BestFitScheduler() {
    this(DEFAULT_MAX_RESERVATIONS);
  }

  /** @param maxReservations most blocked jobs that hold a reservation in one round (0: no backfilling rules) */
  public BestFitScheduler(int maxReservations) {
    this.maxReservations = maxReservations;
  }

  @Override
  public SchedulingResult schedule(SchedulingInput input) {
    DroneIndex index = new DroneIndex(input.drones(), input.nowMs());
    List<Unschedulable> unschedulable = new ArrayList<>();
    // priority class (descending) -> project -> its jobs in order
    TreeMap<Integer, Map<String, PriorityQueue<ReadyJob>>> classes = new TreeMap<>(Comparator.reverseOrder());
    for (ReadyJob job : input.ready()) {
      String reason = index.whyNever(job);
      if (reason != null) {
        unschedulable.add(new Unschedulable(job.jobId(), reason));
      } else {
        classes.computeIfAbsent(job.priority(), p -> new HashMap<>())
            .computeIfAbsent(job.project(), p -> new PriorityQueue<>(WITHIN_PROJECT))
            .add(job);
      }
    }
    List<Placement> placements = new ArrayList<>();
    List<Deferred> deferred = new ArrayList<>();
    Map<String, Integer> usage = new HashMap<>(input.runningCoresByProject());
    for (Map<String, PriorityQueue<ReadyJob>> projects : classes.values()) {
      if (index.freeCores() == 0) {
        break;
      }
      placeClass(projects, usage, index, placements, deferred);
    }
    return new SchedulingResult(placements, unschedulable, deferred);
  }

  /** Turns by least usage between the projects of one priority class. */
  private void placeClass(Map<String, PriorityQueue<ReadyJob>> projects, Map<String, Integer> usage, DroneIndex index,
      List<Placement> placements, List<Deferred> deferred) {
    PriorityQueue<String> turn = new PriorityQueue<>(Comparator
        .comparingInt((String project) -> usage.getOrDefault(project, 0))
        .thenComparing(Comparator.naturalOrder()));
    turn.addAll(projects.keySet());
    Map<String, Integer> placedByProject = projects.size() > 1 ? new HashMap<>() : null;
    while (!turn.isEmpty() && index.freeCores() > 0) {
      String project = turn.poll();
      PriorityQueue<ReadyJob> jobs = projects.get(project);
      ReadyJob job = jobs.poll();
      String drone = index.place(job);
      if (drone != null) {
        placements.add(new Placement(job.jobId(), drone));
        usage.merge(project, job.cores(), Integer::sum);
        if (placedByProject != null) {
          placedByProject.merge(project, 1, Integer::sum);
        }
      } else {
        DroneState holder = index.blockedBy();
        if (holder != null) {
          deferred.add(new Deferred(job.jobId(), Deferred.Why.RESERVED, holder.name, holder.reservedFor, null));
        }
        if (index.reservations() < maxReservations) {
          index.reserve(job);
        }
      }
      if (!jobs.isEmpty()) {
        turn.add(project);
      }
    }
    if (placedByProject != null && !placedByProject.isEmpty()) {
      explainFairShare(projects, placedByProject, index, deferred);
    }
  }

  /**
   * Projects that got nothing this round while another project of their class got cores they could
   * have used: their jobs wait for their turn, and say so.
   */
  private static void explainFairShare(Map<String, PriorityQueue<ReadyJob>> projects, Map<String, Integer> placedByProject,
      DroneIndex index, List<Deferred> deferred) {
    String favoured = null;
    for (Map.Entry<String, Integer> placed : placedByProject.entrySet()) {
      if (favoured == null || placed.getValue() > placedByProject.get(favoured)) {
        favoured = placed.getKey();
      }
    }
    for (Map.Entry<String, PriorityQueue<ReadyJob>> project : projects.entrySet()) {
      if (placedByProject.containsKey(project.getKey())) {
        continue;
      }
      for (ReadyJob job : project.getValue()) {
        if (index.couldHaveFit(job)) {
          deferred.add(new Deferred(job.jobId(), Deferred.Why.FAIR_SHARE, null, -1, favoured));
        }
      }
    }
  }

  /** Accepting drones by label set and free cores, and the reservations of this round. */
  private static final class DroneIndex {
    private final long now;
    private final List<Group> groups = new ArrayList<>();
    private final Map<Set<String>, List<Group>> matchingByJobLabels = new HashMap<>();
    private final List<DroneState> reserved = new ArrayList<>();
    private int freeCores;
    private DroneState blockedBy;

    DroneIndex(Collection<DroneSlot> drones, long now) {
      this.now = now;
      Map<Set<String>, Group> byLabels = new HashMap<>();
      for (DroneSlot drone : drones) {
        Group group = byLabels.computeIfAbsent(drone.labels(), labels -> {
          Group created = new Group(labels);
          groups.add(created);
          return created;
        });
        group.largest = Math.max(group.largest, drone.totalCores());
        group.members.add(drone);
        if (drone.accepting() && drone.jobSlots() > 0) {
          DroneState state = new DroneState(drone, group);
          group.accepting.add(state);
          if (state.free > 0) {
            group.add(state);
            freeCores += state.free;
          }
        }
      }
    }

    int freeCores() {
      return freeCores;
    }

    int reservations() {
      return reserved.size();
    }

    List<Group> matching(Set<String> jobLabels) {
      return matchingByJobLabels.computeIfAbsent(jobLabels, labels -> {
        List<Group> result = new ArrayList<>();
        for (Group group : groups) {
          if (group.labels.containsAll(labels)) {
            result.add(group);
          }
        }
        return result;
      });
    }

    /** Null when some registered drone could run the job when idle; otherwise why none can. */
    String whyNever(ReadyJob job) {
      if (groups.isEmpty()) {
        return "no drone is registered";
      }
      List<Group> matching = matching(job.labels());
      if (matching.isEmpty()) {
        return "no registered drone has the labels " + new TreeSet<>(job.labels());
      }
      int largest = 0;
      for (Group group : matching) {
        largest = Math.max(largest, group.largest);
      }
      if (largest < job.cores()) {
        String which = job.labels().isEmpty() ? "drone" : "drone with the labels " + new TreeSet<>(job.labels());
        return "needs " + job.cores() + " cores; the largest " + which + " has " + largest;
      }
      return null;
    }

    /** The drone whose reservation kept the last job {@link #place} could not place off cores it had free; or null. */
    DroneState blockedBy() {
      return blockedBy;
    }

    /** Whether some accepting drone had the cores for the job free when the round began. */
    boolean couldHaveFit(ReadyJob job) {
      Set<String> avoid = avoidSet(job);
      for (Group group : matching(job.labels())) {
        for (DroneState drone : group.accepting) {
          if (drone.initialFree >= job.cores() && !avoid.contains(drone.name)) {
            return true;
          }
        }
      }
      return false;
    }

    /** Best fit among matching groups: the smallest free core count that holds the job. */
    String place(ReadyJob job) {
      Set<String> avoid = avoidSet(job);
      DroneState best = null;
      blockedBy = null;
      for (Group group : matching(job.labels())) {
        DroneState candidate = group.tightest(job, avoid, now, this);
        if (candidate != null && (best == null || candidate.free < best.free
            || candidate.free == best.free && candidate.name.compareTo(best.name) < 0)) {
          best = candidate;
        }
      }
      if (best == null) {
        return null;
      }
      best.group.remove(best);
      best.free -= job.cores();
      best.slots--;
      best.addRelease(job.cores(), now + Math.max(0, job.estimateMs()));
      freeCores -= job.cores();
      if (best.free > 0 && best.slots > 0) {
        best.group.add(best);
      } else {
        freeCores -= best.free;
      }
      return best.name;
    }

    /** Holds the drone expected to have room soonest for a job that fits nowhere now. */
    void reserve(ReadyJob job) {
      Set<String> avoid = avoidSet(job);
      DroneState chosen = null;
      long chosenAt = Long.MAX_VALUE;
      for (Group group : matching(job.labels())) {
        for (DroneState drone : group.accepting) {
          if (drone.reservationAt != Long.MAX_VALUE || drone.slots <= 0 || drone.total < job.cores()
              || avoid.contains(drone.name)) {
            continue;
          }
          long at = drone.timeWithFree(job.cores());
          if (at < chosenAt || at == chosenAt && chosen != null && drone.total < chosen.total) {
            chosen = drone;
            chosenAt = at;
          }
        }
      }
      if (chosen != null && chosenAt != Long.MAX_VALUE) {
        chosen.reservationAt = chosenAt;
        chosen.reservedCores = job.cores();
        chosen.reservedFor = job.jobId();
        reserved.add(chosen);
      }
    }

    private Set<String> avoidSet(ReadyJob job) {
      return job.avoidDrones().isEmpty() || couldRunAvoiding(job) ? job.avoidDrones() : Set.of();
    }

    /**
     * Whether some drone outside the job's avoid set takes work and could run it (now or once it has
     * room). Only such a drone is a reason to keep the job off the drones it avoids: one that is
     * paused, grounded, refusing or used up would keep the job waiting for ever.
     */
    private boolean couldRunAvoiding(ReadyJob job) {
      for (Group group : matching(job.labels())) {
        for (DroneState drone : group.accepting) {
          if (drone.total >= job.cores() && !job.avoidDrones().contains(drone.name)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  private static final Comparator<DroneState> BY_NAME = Comparator.comparing(drone -> drone.name);

  private static final class Group {
    final Set<String> labels;
    final TreeMap<Integer, TreeSet<DroneState>> byFree = new TreeMap<>();
    final List<DroneSlot> members = new ArrayList<>();
    final List<DroneState> accepting = new ArrayList<>();
    int largest;

    Group(Set<String> labels) {
      this.labels = labels;
    }

    void add(DroneState drone) {
      byFree.computeIfAbsent(drone.free, f -> new TreeSet<>(BY_NAME)).add(drone);
    }

    void remove(DroneState drone) {
      TreeSet<DroneState> bucket = byFree.get(drone.free);
      bucket.remove(drone);
      if (bucket.isEmpty()) {
        byFree.remove(drone.free);
      }
    }

    DroneState tightest(ReadyJob job, Set<String> avoid, long now, DroneIndex index) {
      for (Map.Entry<Integer, TreeSet<DroneState>> bucket = byFree.ceilingEntry(job.cores());
          bucket != null; bucket = byFree.higherEntry(bucket.getKey())) {
        for (DroneState drone : bucket.getValue()) {
          if (!avoid.contains(drone.name)) {
            if (drone.allows(job, now)) {
              return drone;
            }
            index.blockedBy = drone;
          }
        }
      }
      return null;
    }
  }

  private static final class DroneState {
    final String name;
    final Group group;
    final int total;
    /** Expected releases of cores, sorted by time (including jobs placed in this round). */
    final List<DroneSlot.Release> releases;
    final int initialFree;
    int free;
    int slots;
    long reservationAt = Long.MAX_VALUE;
    int reservedCores;
    long reservedFor = -1;

    DroneState(DroneSlot drone, Group group) {
      this.name = drone.name();
      this.group = group;
      this.total = drone.totalCores();
      this.free = drone.freeCores();
      this.initialFree = free;
      this.slots = drone.jobSlots();
      this.releases = new ArrayList<>(drone.releases());
      this.releases.sort(Comparator.comparingLong(DroneSlot.Release::atMs));
    }

    void addRelease(int cores, long at) {
      int position = 0;
      while (position < releases.size() && releases.get(position).atMs() <= at) {
        position++;
      }
      releases.add(position, new DroneSlot.Release(cores, at));
    }

    /** Whether a job may go here without delaying the drone's reservation, if it has one. */
    boolean allows(ReadyJob job, long now) {
      if (reservationAt == Long.MAX_VALUE) {
        return true;
      }
      if (now + Math.max(0, job.estimateMs()) <= reservationAt) {
        return true; // done before the reserved job can start
      }
      return freeAt(reservationAt) - job.cores() >= reservedCores;
    }

    /** Cores free at {@code at} if every release up to then comes on time. */
    int freeAt(long at) {
      int cores = free;
      for (DroneSlot.Release release : releases) {
        if (release.atMs() > at) {
          break;
        }
        cores += release.cores();
      }
      return cores;
    }

    /** The earliest expected time with {@code cores} free (now if they are free already). */
    long timeWithFree(int cores) {
      int available = free;
      if (available >= cores) {
        return Long.MIN_VALUE;
      }
      for (DroneSlot.Release release : releases) {
        available += release.cores();
        if (available >= cores) {
          return release.atMs();
        }
      }
      return Long.MAX_VALUE;
    }
  }
}
