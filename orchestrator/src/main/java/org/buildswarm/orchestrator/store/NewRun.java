package org.buildswarm.orchestrator.store;

import java.util.List;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;

/** A planned run to be stored before anyone is told it exists. */
public record NewRun(
    String project,
    String pipelineName,
    String file,
    String pipelineYaml,
    SourceSpec source,
    Trigger trigger,
    String requestedBy,
    long createdAt,
    List<PlannedJob> jobs) {
  public NewRun {
    jobs = List.copyOf(jobs);
  }
}
