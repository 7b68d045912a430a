package org.buildswarm.orchestrator.store;

/**
 * How long one successful attempt of a pipeline job ran (from its first step's start to its end),
 * for learning again how long the job takes.
 *
 * @param group the pipeline job (its matrix variants share it)
 */
public record JobDuration(String project, String group, long durationMs) {}
