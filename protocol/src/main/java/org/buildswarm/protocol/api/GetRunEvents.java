package org.buildswarm.protocol.api;

/** Asks for a run's event log, oldest first, after sequence number {@code afterSeq}. */
public record GetRunEvents(long runId, long afterSeq, int limit) {}
