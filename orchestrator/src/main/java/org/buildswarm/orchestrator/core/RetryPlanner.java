package org.buildswarm.orchestrator.core;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.buildswarm.orchestrator.plan.PlannedDeploy;
import org.buildswarm.protocol.JobState;

/**
 * Works out what a person's retry sends back to waiting, within the same run: the jobs chosen; every
 * job that needs one of them (directly or not) and has ended, since it did not run because of it or
 * ran on its old result; and, for a deploy step among those, the whole deploy to its environment
 * (its steps and rollbacks), because a deploy is all or nothing. Jobs that ended and need none of
 * them keep their result. Read-only over the core's entries; the core applies the plan.
 */
final class RetryPlanner {
  /**
   * @param reset each job that runs again, with why (its reason while it waits); in plan order
   * @param environments the environments whose deploy runs again
   * @param refusal why nothing may be retried; null when the plan may be applied
   */
  record Plan(Map<JobEntry, String> reset, Set<String> environments, String refusal) {
    static Plan refused(String why) {
      return new Plan(Map.of(), Set.of(), why);
    }
  }

  private RetryPlanner() {}

  /**
   * @param chosen jobs of {@code run} that have ended
   * @param runs every run the core tracks (for the run's concurrency group)
   */
  static Plan plan(RunEntry run, List<JobEntry> chosen, String who, Collection<RunEntry> runs) {
    for (JobEntry job : run.jobs) {
      if (job.cancelRequested && !job.state.isTerminal()) {
        return Plan.refused("run " + run.id + " is being cancelled; retry once it has ended");
      }
    }
    if (run.state.isTerminal() && run.concurrencyGroup != null) {
      for (RunEntry other : runs) {
        if (other != run && !other.state.isTerminal() && run.concurrencyGroup.equals(other.concurrencyGroup)
            && run.project.equals(other.project)) {
          // Reopened now, it would run beside the group's run in progress (or be cancelled by it).
          return Plan.refused("run " + other.id + " of concurrency group \"" + run.concurrencyGroup
              + "\" is in progress; retry once it has ended");
        }
      }
    }
    Map<JobEntry, String> reset = new LinkedHashMap<>();
    Set<String> environments = new LinkedHashSet<>();
    ArrayDeque<JobEntry> work = new ArrayDeque<>();
    for (JobEntry job : chosen) {
      reset.put(job, "retried by " + who);
      work.add(job);
    }
    while (!work.isEmpty()) {
      JobEntry job = work.poll();
      for (JobEntry dependent : job.dependents) {
        if (reset.containsKey(dependent) || dependent.state == JobState.WAITING) {
          continue; // a waiting one simply waits for the new result
        }
        if (!dependent.state.isTerminal()) {
          return Plan.refused("job \"" + dependent.plan.name() + "\" needs \"" + job.plan.name() + "\" and is "
              + word(dependent.state) + "; cancel it or let it end first");
        }
        reset.put(dependent, "runs again: it needs \"" + job.plan.name() + "\", which runs again");
        work.add(dependent);
      }
      PlannedDeploy deploy = job.plan.deploy();
      if (deploy == null || deploy.skipReason() != null || !environments.add(deploy.environment())) {
        continue;
      }
      Saga saga = run.sagas.get(deploy.environment());
      if (saga != null && !saga.finished) {
        return Plan.refused("the deploy to " + deploy.environment() + " is in progress; retry once it has ended");
      }
      for (JobEntry part : run.jobs) {
        PlannedDeploy other = part.plan.deploy();
        if (other == null || !other.environment().equals(deploy.environment()) || reset.containsKey(part)
            || part.state == JobState.WAITING) {
          continue;
        }
        if (!part.state.isTerminal()) {
          return Plan.refused("job \"" + part.plan.name() + "\" of the deploy to " + deploy.environment() + " is "
              + word(part.state) + "; retry once it has ended");
        }
        reset.put(part, "runs again: the deploy to " + deploy.environment() + " runs again as a whole");
        work.add(part);
      }
    }
    Map<JobEntry, String> inPlanOrder = new LinkedHashMap<>();
    for (JobEntry job : run.jobs) {
      if (reset.containsKey(job)) {
        inPlanOrder.put(job, reset.get(job));
      }
    }
    return new Plan(inPlanOrder, environments, null);
  }

  /**
   * Why this one job may not be retried on its own, or null when it may: it must have ended, and a
   * rollback runs only when its deploy needs it.
   */
  static String refusalOfOne(JobEntry job) {
    if (!job.state.isTerminal()) {
      return "job \"" + job.plan.name() + "\" is " + word(job.state) + "; only a job that has ended can be retried";
    }
    PlannedDeploy deploy = job.plan.deploy();
    if (deploy != null && deploy.isRollback()) {
      return "\"" + job.plan.name() + "\" is a rollback, which runs only when its deploy has to be undone; retry the "
          + "deploy step \"" + job.run.jobs.get(deploy.partner()).plan.name() + "\" instead";
    }
    return null;
  }

  /** Why retrying this job alone would only skip it again (a need of it that did not succeed stays so), or null. */
  static String unmetNeed(JobEntry job, Plan plan) {
    for (int need : job.plan.needs()) {
      JobEntry needed = job.run.jobs.get(need);
      if (needed.state.isTerminal() && needed.state != JobState.SUCCEEDED && !plan.reset().containsKey(needed)) {
        return "job \"" + job.plan.name() + "\" needs \"" + needed.plan.name() + "\", which "
            + (needed.state == JobState.FAILED ? "failed" : needed.state == JobState.CANCELLED ? "was cancelled"
            : "was skipped") + "; retry the failed jobs (or that one) instead";
      }
    }
    return null;
  }

  static String word(JobState state) {
    return switch (state) {
      case WAITING -> "waiting for its needs";
      case UNSCHEDULABLE -> "unschedulable (waiting for a drone that can run it)";
      case HELD -> "held (waiting for an operator's decision)";
      default -> state.name().toLowerCase(Locale.ROOT);
    };
  }
}
