package org.buildswarm.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A run with all its jobs, in pipeline order.
 *
 * @param tests the jobs' test summaries (each of its latest attempt) added up; null when no job has one
 */
public record RunDetail(RunSummary run, List<JobView> jobs, @JsonInclude(JsonInclude.Include.ALWAYS) TestSummary tests) {
  public RunDetail {
    jobs = List.copyOf(jobs);
  }

  /** The run with its jobs, its test summary added up from theirs. */
  public RunDetail(RunSummary run, List<JobView> jobs) {
    this(run, jobs, TestSummary.sum(jobs.stream().map(JobView::tests).toList()));
  }
}
