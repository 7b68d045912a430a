package org.buildswarm.orchestrator;

import java.nio.file.Path;
import java.util.List;
import org.buildswarm.orchestrator.discovery.Project;
import org.buildswarm.orchestrator.core.CoreOptions;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.protocol.auth.Credentials;
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
 * @param projects repositories watched for new commits by the leading orchestrator (default none)
 * @param discoveryDirectory where work discovery keeps its bare Git mirrors (null when no projects)
 * @param credentials the control plane's credentials: they key the job tokens it mints
 */
public record OrchestratorOptions(
    String nodeName,
    CoreOptions core,
    PlannerOptions planner,
    PipelineLimits pipelineLimits,
    long assignAckTimeoutMs,
    long tickIntervalMs,
    int journalBatch,
    List<Project> projects,
    Path discoveryDirectory,
    Credentials credentials) {
  public OrchestratorOptions {
    projects = projects == null ? List.of() : List.copyOf(projects);
  }

  public static final long DEFAULT_ASSIGN_ACK_TIMEOUT_MS = 5_000;
  public static final long DEFAULT_TICK_INTERVAL_MS = 250;
  public static final int DEFAULT_JOURNAL_BATCH = 500;

  public static OrchestratorOptions defaults(String nodeName, Credentials credentials) {
    return new OrchestratorOptions(nodeName, CoreOptions.defaults(), PlannerOptions.defaults(),
        PipelineLimits.defaults(), DEFAULT_ASSIGN_ACK_TIMEOUT_MS, DEFAULT_TICK_INTERVAL_MS, DEFAULT_JOURNAL_BATCH,
        List.of(), null, credentials);
  }

  public OrchestratorOptions withCore(CoreOptions core) {
    return new OrchestratorOptions(nodeName, core, planner, pipelineLimits, assignAckTimeoutMs, tickIntervalMs, journalBatch,
        projects, discoveryDirectory, credentials);
  }

  /** Watches these projects, keeping Git mirrors in {@code directory}. */
  public OrchestratorOptions withProjects(List<Project> newProjects, Path directory) {
    return new OrchestratorOptions(nodeName, core, planner, pipelineLimits, assignAckTimeoutMs, tickIntervalMs, journalBatch,
        newProjects, directory, credentials);
  }
}
