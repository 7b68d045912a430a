package org.buildswarm.protocol.api;

/**
 * Points an environment back at a version it ran before (an instant pointer move; nothing runs).
 *
 * @param version the version to point at; null means the environment's previous version
 */
public record RollbackEnvironment(String project, String environment, String version, String requestedBy) {}
