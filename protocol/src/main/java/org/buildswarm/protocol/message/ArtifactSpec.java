package org.buildswarm.protocol.message;

/**
 * A file a job publishes when its steps succeed.
 *
 * @param name the artifact's name in the repository (a version per run and attempt, channel {@code latest})
 * @param path the file, relative to the job's workspace; it must stay inside the workspace
 */
public record ArtifactSpec(String name, String path) {}
