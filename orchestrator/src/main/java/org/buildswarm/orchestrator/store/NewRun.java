package org.buildswarm.orchestrator.store;

import java.util.List;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;

/**
 * A planned run to be stored before anyone is told it exists.
 *
 * @param concurrencyGroup its concurrency group; null when it has none
 */
public record NewRun(
    String project,
    String pipelineName,
    String file,
    String pipelineYaml,
    SourceSpec source,
    Trigger trigger,
    String requestedBy,
    long createdAt,
    List<PlannedJob> jobs,
    String concurrencyGroup,
    boolean cancelInProgress) {
  public NewRun {
    jobs = List.copyOf(jobs);
  }

  public NewRun(String project, String pipelineName, String file, String pipelineYaml, SourceSpec source,
      Trigger trigger, String requestedBy, long createdAt, List<PlannedJob> jobs) {
    this(project, pipelineName, file, pipelineYaml, source, trigger, requestedBy, createdAt, jobs, null, false);
  }
}
