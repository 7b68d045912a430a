package org.buildswarm.protocol.message;

/** One shell step of a job, run as its own process group. */
public record Step(String name, String run) {}
