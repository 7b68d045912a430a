package org.buildswarm.orchestrator.store;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.protocol.EventType;
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

  /** The {@code run.created} event a store writes with the run, in the same transaction. */
  public StateChange createdEvent(long runId) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("project", project);
    data.put("pipeline", pipelineName);
    data.put("trigger", trigger.name());
    data.put("jobs", jobs.size());
    if (requestedBy != null) {
      data.put("requestedBy", requestedBy);
    }
    return StateChange.of(createdAt, runId, null, EventType.RUN_CREATED, data);
  }
}
