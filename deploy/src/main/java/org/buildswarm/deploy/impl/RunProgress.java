package org.buildswarm.deploy.impl;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;

/**
 * Prints a run's progress, one line per job change, in the order the changes happened (from the
 * live events), with the failing step's last lines under a failed job.
 */
public final class RunProgress {
  private final PrintStream out;
  private final Map<Long, String> printed = new HashMap<>();
  private final Map<Long, Long> runningSince = new HashMap<>();

  public RunProgress(PrintStream out) {
    this.out = out;
  }

  /**
   * Prints one live event.
   *
   * @param job looks a job up when the event alone does not say enough (a failure's last lines)
   */
  public void event(RunEvent event, LongFunction<JobView> job) {
    if (event.jobId() == null || event.jobState() == null) {
      return;
    }
    JobView view = new JobView(event.jobId(), event.runId(), event.jobName(), event.jobState(), 0, null, null, 0,
        event.drone(), null, null, null, event.reason(), null, null, null);
    if (event.jobState() == JobState.RUNNING) {
      runningSince.put(event.jobId(), event.at());
    }
    String took = event.jobState().isTerminal() && runningSince.containsKey(event.jobId())
        ? seconds(event.at() - runningSince.get(event.jobId())) : "";
    if (event.jobState() == JobState.FAILED) {
      JobView full = job.apply(event.jobId());
      print(full == null ? view : full, took);
    } else {
      print(view, took);
    }
    out.flush();
  }

  /** Prints whatever changed since the last call, from a full read of the run (when live events are not available). */
  public void update(RunDetail detail) {
    for (JobView job : detail.jobs()) {
      String took = job.startedAt() != null && job.finishedAt() != null ? seconds(job.finishedAt() - job.startedAt()) : "";
      print(job, took);
    }
    out.flush();
  }

  /** Prints a job's line unless it is the same change as the last one printed for it. */
  private void print(JobView job, String took) {
    String key = job.state() + "/" + job.reason() + (job.state() == JobState.RUNNING ? "/" + job.drone() : "");
    if (key.equals(printed.put(job.id(), key))) {
      return;
    }
    switch (job.state()) {
      case WAITING, ASSIGNED -> { }
      case QUEUED -> line(job.reason() != null ? "requeued" : "queued", job, job.reason());
      case UNSCHEDULABLE -> line("stuck", job, job.reason());
      case RUNNING -> line("running", job, "on " + job.drone());
      case SUCCEEDED -> line("passed", job, took);
      case FAILED -> {
        line("FAILED", job, (job.reason() == null ? "" : job.reason()) + (took.isEmpty() ? "" : "  " + took));
        for (String tail : job.logTail()) {
          out.println("             | " + tail);
        }
      }
      case SKIPPED -> line("skipped", job, job.reason());
      case CANCELLED -> line("cancelled", job, job.reason());
    }
  }

  /** The closing line; returns whether the run succeeded. */
  public boolean summary(RunDetail detail) {
    StringBuilder parts = new StringBuilder();
    for (Map.Entry<JobState, Integer> count : new TreeMap<>(detail.run().jobCounts()).entrySet()) {
      if (parts.length() > 0) {
        parts.append(", ");
      }
      parts.append(count.getValue()).append(' ').append(word(count.getKey()));
    }
    long took = (detail.run().finishedAt() == null ? System.currentTimeMillis() : detail.run().finishedAt())
        - detail.run().createdAt();
    out.printf(Locale.ROOT, "run #%d %s in %s: %s%n", detail.run().id(),
        detail.run().state().name().toLowerCase(Locale.ROOT), seconds(took), parts);
    out.flush();
    return detail.run().state() == RunState.SUCCEEDED;
  }

  private void line(String what, JobView job, String detail) {
    out.printf(Locale.ROOT, "  %-10s %s%s%n", what, job.name(), detail == null || detail.isBlank() ? "" : "  " + detail);
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1fs", Math.max(0, millis) / 1000.0);
  }

  private static String word(JobState state) {
    return switch (state) {
      case SUCCEEDED -> "passed";
      case FAILED -> "failed";
      case SKIPPED -> "skipped";
      case CANCELLED -> "cancelled";
      default -> state.name().toLowerCase(Locale.ROOT);
    };
  }
}
