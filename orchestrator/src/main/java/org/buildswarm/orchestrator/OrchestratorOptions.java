package org.buildswarm.orchestrator;

import org.buildswarm.orchestrator.core.CoreOptions;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.protocol.pipeline.PipelineLimits;

/**
 * Settings of one orchestrator node.
 *
 * @param nodeName who holds the epoch, for the event log (default: the host name)
 * @param core scheduling, lease and retry policy
 * @param planner defaults for jobs
 * @param pipelineLimits bounds on pipeline files
 * @param assignAckTimeoutMs how long a drone has to acknowledge an assignment before it is placed
 *     elsewhere (default {@value #DEFAULT_ASSIGN_ACK_TIMEOUT_MS})
 * @param tickIntervalMs how often leases and backoffs are checked (default {@value #DEFAULT_TICK_INTERVAL_MS})
 * @param journalBatch most events written in one transaction (default {@value #DEFAULT_JOURNAL_BATCH})
 */
public record OrchestratorOptions(
    String nodeName,
    CoreOptions core,
    PlannerOptions planner,
    PipelineLimits pipelineLimits,
    long assignAckTimeoutMs,
    long tickIntervalMs,
    int journalBatch) {
  public static final long DEFAULT_ASSIGN_ACK_TIMEOUT_MS = 5_000;
  public static final long DEFAULT_TICK_INTERVAL_MS = 250;
  public static final int DEFAULT_JOURNAL_BATCH = 500;

  public static OrchestratorOptions defaults(String nodeName, String joinTokenSha256) {
    return new OrchestratorOptions(nodeName, CoreOptions.defaults(joinTokenSha256), PlannerOptions.defaults(),
        PipelineLimits.defaults(), DEFAULT_ASSIGN_ACK_TIMEOUT_MS, DEFAULT_TICK_INTERVAL_MS, DEFAULT_JOURNAL_BATCH);
  }

  public OrchestratorOptions withCore(CoreOptions core) {
    return new OrchestratorOptions(nodeName, core, planner, pipelineLimits, assignAckTimeoutMs, tickIntervalMs, journalBatch);
  }
}
