package org.buildswarm.protocol.api;

/** Asks for one run with its jobs. */
public record GetRun(long runId) {}
