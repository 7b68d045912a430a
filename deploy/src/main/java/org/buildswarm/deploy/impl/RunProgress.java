package org.buildswarm.deploy.impl;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;

/** Prints a run's progress as jobs change state: one line per change, failures with their last log lines. */
public final class RunProgress {
  private final PrintStream out;
  private final Map<Long, String> printed = new HashMap<>();

  public RunProgress(PrintStream out) {
    this.out = out;
  }

  /** Prints what changed since the last call. */
  public void update(RunDetail detail) {
    for (JobView job : detail.jobs()) {
      String key = job.state() + "/" + job.attempt() + "/" + job.reason();
      if (key.equals(printed.put(job.id(), key))) {
        continue;
      }
      switch (job.state()) {
        case WAITING -> { }
        case QUEUED -> line(job.attempt() > 0 ? "requeued" : "queued", job, job.reason());
        case UNSCHEDULABLE -> line("stuck", job, job.reason());
        case ASSIGNED -> { }
        case RUNNING -> line("running", job, "on " + job.drone() + (job.attempt() > 1 ? " (attempt " + job.attempt() + ")" : ""));
        case SUCCEEDED -> line("passed", job, took(job));
        case FAILED -> {
          line("FAILED", job, (job.reason() == null ? "" : job.reason()) + "  " + took(job));
          for (String tail : job.logTail()) {
            out.println("             | " + tail);
          }
        }
        case SKIPPED -> line("skipped", job, job.reason());
        case CANCELLED -> line("cancelled", job, job.reason());
      }
    }
    out.flush();
  }

  /** The closing line; returns whether the run succeeded. */
  public boolean summary(RunDetail detail) {
    Map<JobState, Integer> counts = detail.run().jobCounts();
    StringBuilder parts = new StringBuilder();
    for (Map.Entry<JobState, Integer> count : new java.util.TreeMap<>(counts).entrySet()) {
      if (parts.length() > 0) {
        parts.append(", ");
      }
      parts.append(count.getValue()).append(' ').append(word(count.getKey()));
    }
    long took = (detail.run().finishedAt() == null ? System.currentTimeMillis() : detail.run().finishedAt())
        - detail.run().createdAt();
    out.printf(Locale.ROOT, "run #%d %s in %.1fs: %s%n", detail.run().id(),
        detail.run().state().name().toLowerCase(Locale.ROOT), took / 1000.0, parts);
    out.flush();
    return detail.run().state() == RunState.SUCCEEDED;
  }

  private void line(String what, JobView job, String detail) {
    out.printf(Locale.ROOT, "  %-10s %s%s%n", what, job.name(), detail == null || detail.isBlank() ? "" : "  " + detail);
  }

  private static String took(JobView job) {
    if (job.startedAt() == null || job.finishedAt() == null) {
      return "";
    }
    return String.format(Locale.ROOT, "%.1fs", (job.finishedAt() - job.startedAt()) / 1000.0);
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
