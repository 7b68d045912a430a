package org.buildswarm.protocol.message;

/**
 * Orchestrator → drone: run this attempt. The drone answers with {@link AssignReply}.
 *
 * @param jobToken the attempt's credential toward gateways (artifact uploads); valid only while the
 *     attempt is current
 */
public record AssignJob(String drone, long epoch, AttemptRef attempt, long runId, String jobName,
    JobExecution execution, String jobToken) implements ToDrone {}
