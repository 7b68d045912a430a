package org.buildswarm.protocol.api;

/**
 * One immutable version of an artifact: which bytes (by SHA-256), how many, who published it and
 * from which job.
 *
 * @param runId the run whose job published it; null for an upload by a person or tool
 */
public record ArtifactVersion(String project, String name, String version, String sha256, long size, String fileName,
    long createdAt, String publishedBy, Long runId, Long jobId) {}
