package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.buildswarm.orchestrator.schedule.ReadyJob;

/**
 * The jobs waiting for a drone, kept so that a scheduling round costs what it places, not what is
 * queued: per priority class and project in the scheduler's own order (longest critical path
 * first), those still in a retry backoff aside until due, and those no registered drone can run
 * aside until the drones change. Part of the core: same thread.
 */
final class ReadyQueue {
  /** The scheduler's order within a project: longest critical path, then longest waiting. */
  static final Comparator<JobEntry> ORDER = Comparator
      .comparingLong((JobEntry job) -> job.plan.criticalPathMs()).reversed()
      .thenComparingLong(job -> job.readySince)
      .thenComparingLong(job -> job.id);

  private final TreeMap<Integer, Map<String, TreeSet<JobEntry>>> waiting = new TreeMap<>(Comparator.reverseOrder());
  private final PriorityQueue<JobEntry> delayed = new PriorityQueue<>(Comparator.comparingLong(job -> job.notBefore));
  private final Set<JobEntry> unschedulable = new LinkedHashSet<>();
  /** Enqueued since the last round: they have not been checked against the drones yet. */
  private final Set<JobEntry> fresh = new LinkedHashSet<>();
  private final Set<JobEntry> all = new java.util.HashSet<>();

  /** Enqueues a job whose fields (readySince, notBefore, avoid) are final while it waits. */
  void add(JobEntry job, long now) {
    if (!all.add(job)) {
      return;
    }
    job.candidate = new ReadyJob(job.id, job.run.project, job.run.trigger.priority(), job.plan.criticalPathMs(),
        job.plan.estimateMs(), job.readySince, job.plan.cores(), job.plan.labels(), Set.copyOf(job.avoid));
    if (job.notBefore > now) {
      delayed.add(job);
    } else {
      enqueue(job);
    }
  }

  private void enqueue(JobEntry job) {
    waiting.computeIfAbsent(job.candidate.priority(), p -> new HashMap<>())
        .computeIfAbsent(job.run.project, p -> new TreeSet<>(ORDER))
        .add(job);
    fresh.add(job);
  }

  void remove(JobEntry job) {
    if (!all.remove(job)) {
      return;
    }
    fresh.remove(job);
    unschedulable.remove(job);
    delayed.remove(job);
    Map<String, TreeSet<JobEntry>> projects = waiting.get(job.candidate.priority());
    if (projects != null) {
      TreeSet<JobEntry> jobs = projects.get(job.run.project);
      if (jobs != null && jobs.remove(job) && jobs.isEmpty()) {
        projects.remove(job.run.project);
        if (projects.isEmpty()) {
          waiting.remove(job.candidate.priority());
        }
      }
    }
  }

  boolean contains(JobEntry job) {
    return all.contains(job);
  }

  int size() {
    return all.size();
  }

  boolean isEmpty() {
    return all.isEmpty();
  }

  Collection<JobEntry> all() {
    return all;
  }

  Collection<JobEntry> unschedulable() {
    return unschedulable;
  }

  /** Moves jobs whose retry backoff is over into the queue. */
  void releaseDue(long now) {
    while (!delayed.isEmpty() && delayed.peek().notBefore <= now) {
      enqueue(delayed.poll());
    }
  }

  /** Jobs enqueued since the last call. */
  List<JobEntry> takeFresh() {
    List<JobEntry> taken = new ArrayList<>(fresh);
    fresh.clear();
    return taken;
  }

  void markUnschedulable(JobEntry job) {
    if (all.contains(job) && unschedulable.add(job)) {
      removeFromWaiting(job);
    }
  }

  void markSchedulable(JobEntry job) {
    if (unschedulable.remove(job)) {
      enqueue(job);
    }
  }

  private void removeFromWaiting(JobEntry job) {
    Map<String, TreeSet<JobEntry>> projects = waiting.get(job.candidate.priority());
    if (projects != null) {
      TreeSet<JobEntry> jobs = projects.get(job.run.project);
      if (jobs != null) {
        jobs.remove(job);
        if (jobs.isEmpty()) {
          projects.remove(job.run.project);
        }
      }
    }
  }

  /** A window of candidates: up to {@code perProject} best jobs of every project of every class. */
  Window window(int perProject) {
    List<JobEntry> jobs = new ArrayList<>();
    boolean truncated = false;
    for (Map<String, TreeSet<JobEntry>> projects : waiting.values()) {
      for (TreeSet<JobEntry> queue : projects.values()) {
        int taken = 0;
        for (JobEntry job : queue) {
          if (taken++ == perProject) {
            truncated = true;
            break;
          }
          jobs.add(job);
        }
      }
    }
    return new Window(jobs, truncated);
  }

  /** Every schedulable waiting job (for a full round after the drones changed). */
  List<JobEntry> waitingJobs() {
    List<JobEntry> jobs = new ArrayList<>();
    for (Map<String, TreeSet<JobEntry>> projects : waiting.values()) {
      for (TreeSet<JobEntry> queue : projects.values()) {
        jobs.addAll(queue);
      }
    }
    return jobs;
  }

  record Window(List<JobEntry> jobs, boolean truncated) {}
}
