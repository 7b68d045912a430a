package org.buildswarm.protocol.api;

import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;

/**
 * Asks the orchestrator to validate, plan and queue a pipeline. Nothing is queued unless the whole
 * pipeline is valid.
 *
 * @param project the project the run belongs to (fair share and history are per project)
 * @param file the pipeline's file name, used in error messages
 * @param pipelineYaml the pipeline file's text
 * @param source where jobs get their files
 * @param trigger what started the run; also its priority class
 * @param requestedBy who asked (token name), for the event log
 * @param ignoreCache a forced run: jobs that declare {@code cache:} run whatever the cache holds
 *     (and store their results afresh)
 */
public record SubmitRun(
    String project, String file, String pipelineYaml, SourceSpec source, Trigger trigger, String requestedBy,
    boolean ignoreCache) {
  public SubmitRun {
    trigger = trigger == null ? Trigger.MANUAL : trigger;
    source = source == null ? SourceSpec.none() : source;
  }

  public SubmitRun(String project, String file, String pipelineYaml, SourceSpec source, Trigger trigger,
      String requestedBy) {
    this(project, file, pipelineYaml, source, trigger, requestedBy, false);
  }
}
