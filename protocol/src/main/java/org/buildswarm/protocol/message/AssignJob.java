package org.buildswarm.protocol.message;

/** Orchestrator → drone: run this attempt. The drone answers with {@link AssignReply}. */
public record AssignJob(long epoch, AttemptRef attempt, long runId, String jobName, JobExecution execution) {}
