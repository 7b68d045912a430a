package org.buildswarm.protocol.api;

import java.util.List;

/** A run with all its jobs, in pipeline order. */
public record RunDetail(RunSummary run, List<JobView> jobs) {
  public RunDetail {
    jobs = List.copyOf(jobs);
  }
}
