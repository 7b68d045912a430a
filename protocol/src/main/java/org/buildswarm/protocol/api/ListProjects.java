package org.buildswarm.protocol.api;

/** Gateway → orchestrator: the watched projects and how their polling and reporting go. */
public record ListProjects() {}
