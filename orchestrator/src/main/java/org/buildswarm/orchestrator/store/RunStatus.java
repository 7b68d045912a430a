package org.buildswarm.orchestrator.store;

import org.buildswarm.protocol.RunState;

/** The changing part of a run. */
public record RunStatus(RunState state, Long finishedAt) {}
