package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.api.DroneView;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunSummary;

/** Read-only views of the core's entries, as the API shows them. */
final class CoreViews {
  private CoreViews() {}

  static RunSummary summary(RunEntry run) {
    Map<JobState, Integer> counts = new EnumMap<>(JobState.class);
    for (JobEntry job : run.jobs) {
      counts.merge(job.state, 1, Integer::sum);
    }
    return new RunSummary(run.id, run.project, run.pipelineName, run.state, run.trigger, run.requestedBy,
        run.createdAt, run.finishedAt, counts, run.source);
  }

  static RunDetail detail(RunEntry run, WaitExplainer waits) {
    List<JobView> jobs = new ArrayList<>(run.jobs.size());
    for (JobEntry job : run.jobs) {
      jobs.add(job(job, waits));
    }
    return new RunDetail(summary(run), jobs);
  }

  static JobView job(JobEntry job, WaitExplainer waits) {
    List<String> needs = new ArrayList<>(job.plan.needs().size());
    for (int index : job.plan.needs()) {
      needs.add(job.run.jobs.get(index).plan.name());
    }
    return new JobView(job.id, job.run.id, job.plan.name(), job.state, job.plan.cores(),
        List.copyOf(new TreeSet<>(job.plan.labels())), needs, job.attempt, job.drone, job.exitCode, job.failedStep,
        job.logTail, job.reason, job.queuedAt, job.startedAt, job.finishedAt, waits.explain(job), job.tests, job.cache);
  }

  static DroneView drone(DroneEntry drone, long now) {
    return new DroneView(drone.name, drone.host, drone.visibleState(now), drone.cores, drone.busyCores(),
        List.copyOf(new TreeSet<>(drone.labels)), drone.load1, drone.memoryTotalBytes, drone.memoryAvailableBytes,
        drone.runningJobIds(), drone.lastSeenAt, drone.reason(now), drone.accepting(now),
        drone.sandbox);
  }
}
