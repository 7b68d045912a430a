package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunSummary;

/** Views of runs read back from the store (older runs the core no longer holds). */
public final class StoredViews {
  private StoredViews() {}

  public static RunDetail detail(StoredRun run) {
    Map<JobState, Integer> counts = new EnumMap<>(JobState.class);
    List<JobView> jobs = new ArrayList<>(run.jobs().size());
    for (StoredJob job : run.jobs()) {
      JobStatus status = job.status();
      counts.merge(status.state(), 1, Integer::sum);
      List<String> needs = new ArrayList<>();
      for (int index : job.plan().needs()) {
        needs.add(run.jobs().get(index).plan().name());
      }
      jobs.add(new JobView(job.id(), run.id(), job.plan().name(), status.state(), job.plan().cores(),
          List.copyOf(new TreeSet<>(job.plan().labels())), needs, status.attempt(), status.drone(), status.exitCode(),
          status.failedStep(), status.logTail(), status.reason(), status.queuedAt(), status.startedAt(),
          status.finishedAt(), null, status.tests(), status.cache()));
    }
    RunSummary summary = new RunSummary(run.id(), run.project(), run.pipelineName(), run.state(), run.trigger(),
        run.requestedBy(), run.createdAt(), run.finishedAt(), counts, run.source());
    return new RunDetail(summary, jobs);
  }
}
