package org.buildswarm.protocol.api;

/**
 * One entry of an environment's deploy history: a deploy saga, or an operator moving the pointer.
 *
 * @param state STARTED, SUCCEEDED, ROLLED_BACK, ROLLBACK_FAILED, or ACTIVATED (pointer moved by hand)
 * @param finishedAt null while the deploy is in progress
 * @param requestedBy who moved the pointer; null for deploys
 */
public record DeploymentView(
    long id, String project, String environment, long runId, String version, String previousVersion, String state,
    long startedAt, Long finishedAt, String requestedBy) {}
