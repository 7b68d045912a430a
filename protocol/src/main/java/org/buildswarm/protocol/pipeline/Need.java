package org.buildswarm.protocol.pipeline;

/** A job's dependency on another job of the same pipeline (all of its matrix variants). */
public record Need(String job, SourceLocation location) {}
