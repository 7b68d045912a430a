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
import org.buildswarm.orchestrator.schedule.DroneSlot;
import org.buildswarm.orchestrator.schedule.Placement;
import org.buildswarm.orchestrator.schedule.ReadyJob;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.schedule.SchedulingResult;
import org.buildswarm.orchestrator.schedule.Unschedulable;

/**
 * Priority class first; within a class, the project holding the fewest cores goes next (fair
 * share), and within a project the job with the longest critical path; each job goes to the
 * accepting drone whose free cores fit it most tightly (best fit), keeping big holes for big jobs.
 *
 * <p>Drones are grouped by label set, and each group keeps its drones in a map keyed by free
 * cores, so placing a job costs O(groups × log drones) instead of a scan of every drone.
 */
public final class BestFitScheduler implements Scheduler {
  private static final Comparator<ReadyJob> WITHIN_PROJECT = Comparator
      .comparingLong(ReadyJob::criticalPathMs).reversed()
      .thenComparingLong(ReadyJob::readySince)
      .thenComparingLong(ReadyJob::jobId);

  @Override
  public SchedulingResult schedule(
      List<ReadyJob> ready, Collection<DroneSlot> drones, Map<String, Integer> runningCoresByProject) {
    DroneIndex index = new DroneIndex(drones);
    List<Unschedulable> unschedulable = new ArrayList<>();
    // priority class (descending) -> project -> its jobs in order
    TreeMap<Integer, Map<String, PriorityQueue<ReadyJob>>> classes = new TreeMap<>(Comparator.reverseOrder());
    for (ReadyJob job : ready) {
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
    Map<String, Integer> usage = new HashMap<>(runningCoresByProject);
    for (Map<String, PriorityQueue<ReadyJob>> projects : classes.values()) {
      if (index.freeCores() == 0) {
        break;
      }
      placeClass(projects, usage, index, placements);
    }
    return new SchedulingResult(placements, unschedulable);
  }

  /** Round-robin by least usage between the projects of one priority class. */
  private static void placeClass(
      Map<String, PriorityQueue<ReadyJob>> projects, Map<String, Integer> usage, DroneIndex index, List<Placement> placements) {
    PriorityQueue<String> turn = new PriorityQueue<>(Comparator
        .comparingInt((String project) -> usage.getOrDefault(project, 0))
        .thenComparing(Comparator.naturalOrder()));
    turn.addAll(projects.keySet());
    while (!turn.isEmpty() && index.freeCores() > 0) {
      String project = turn.poll();
      PriorityQueue<ReadyJob> jobs = projects.get(project);
      ReadyJob job = jobs.poll();
      String drone = index.place(job);
      if (drone != null) {
        placements.add(new Placement(job.jobId(), drone));
        usage.merge(project, job.cores(), Integer::sum);
      }
      if (!jobs.isEmpty()) {
        turn.add(project);
      }
    }
  }

  /** Accepting drones by label set and free cores. */
  private static final class DroneIndex {
    private final List<Group> groups = new ArrayList<>();
    private final Map<Set<String>, List<Group>> matchingByJobLabels = new HashMap<>();
    private final Map<String, DroneState> states = new HashMap<>();
    private int freeCores;

    DroneIndex(Collection<DroneSlot> drones) {
      Map<Set<String>, Group> byLabels = new HashMap<>();
      for (DroneSlot drone : drones) {
        Group group = byLabels.computeIfAbsent(drone.labels(), labels -> {
          Group created = new Group(labels);
          groups.add(created);
          return created;
        });
        group.largest = Math.max(group.largest, drone.totalCores());
        group.members.add(drone);
        if (drone.accepting() && drone.freeCores() > 0 && drone.jobSlots() > 0) {
          DroneState state = new DroneState(drone.name(), drone.freeCores(), drone.jobSlots(), group);
          states.put(drone.name(), state);
          group.add(state);
          freeCores += drone.freeCores();
        }
      }
    }

    int freeCores() {
      return freeCores;
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

    /** Best fit among matching groups: the smallest free core count that holds the job. */
    String place(ReadyJob job) {
      Set<String> avoid = job.avoidDrones().isEmpty() || couldRunAvoiding(job) ? job.avoidDrones() : Set.of();
      DroneState best = null;
      for (Group group : matching(job.labels())) {
        DroneState candidate = group.tightest(job.cores(), avoid);
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
      freeCores -= job.cores();
      if (best.free > 0 && best.slots > 0) {
        best.group.add(best);
      } else {
        freeCores -= best.free;
      }
      return best.name;
    }

    /** Whether some registered drone outside the job's avoid set could ever run it. */
    private boolean couldRunAvoiding(ReadyJob job) {
      for (Group group : matching(job.labels())) {
        for (DroneSlot drone : group.members) {
          if (drone.totalCores() >= job.cores() && !job.avoidDrones().contains(drone.name())) {
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

    DroneState tightest(int cores, Set<String> avoid) {
      for (Map.Entry<Integer, TreeSet<DroneState>> bucket = byFree.ceilingEntry(cores);
          bucket != null; bucket = byFree.higherEntry(bucket.getKey())) {
        for (DroneState drone : bucket.getValue()) {
          if (!avoid.contains(drone.name)) {
            return drone;
          }
        }
      }
      return null;
    }
  }

  private static final class DroneState {
    final String name;
    final Group group;
    int free;
    int slots;

    DroneState(String name, int free, int slots, Group group) {
      this.name = name;
      this.free = free;
      this.slots = slots;
      this.group = group;
    }
  }
}
