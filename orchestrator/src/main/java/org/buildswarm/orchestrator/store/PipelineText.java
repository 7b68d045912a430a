package org.buildswarm.orchestrator.store;

import org.buildswarm.protocol.message.SourceSpec;

/** What a run was submitted with: enough to run the same pipeline again. */
public record PipelineText(String project, String file, String yaml, SourceSpec source) {}
