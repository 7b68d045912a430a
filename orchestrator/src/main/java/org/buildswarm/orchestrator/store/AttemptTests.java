package org.buildswarm.orchestrator.store;

import org.buildswarm.protocol.message.TestResults;

/** The test results an attempt's drone read from its reports, kept with the attempt. */
public record AttemptTests(long jobId, int attempt, TestResults results) {}
