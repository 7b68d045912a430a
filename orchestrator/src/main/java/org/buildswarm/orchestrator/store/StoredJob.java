package org.buildswarm.orchestrator.store;

import org.buildswarm.orchestrator.plan.PlannedJob;

/** A job as stored: its plan (with {@code needs} as indexes within the run) and its status. */
public record StoredJob(long id, long runId, PlannedJob plan, JobStatus status) {}
