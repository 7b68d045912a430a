package org.buildswarm.protocol.api;

import java.util.List;
import org.buildswarm.protocol.pipeline.PipelineProblem;

/** Either the new run's id, or every problem found in the pipeline (and then nothing was queued). */
public record SubmitResult(Long runId, List<PipelineProblem> problems) {
  public SubmitResult {
    problems = problems == null ? List.of() : List.copyOf(problems);
  }

  public static SubmitResult created(long runId) {
    return new SubmitResult(runId, List.of());
  }

  public static SubmitResult invalid(List<PipelineProblem> problems) {
    return new SubmitResult(null, problems);
  }

  public boolean isValid() {
    return runId != null;
  }
}
