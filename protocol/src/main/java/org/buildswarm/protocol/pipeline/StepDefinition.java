package org.buildswarm.protocol.pipeline;

/** A shell step as written; {@code run} may still hold {@code ${{ matrix.x }}} references. */
public record StepDefinition(String name, String run, SourceLocation location) {}
