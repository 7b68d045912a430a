package org.buildswarm.protocol.api;

/**
 * A new artifact version, or a channel moved to one (channel null for a bare upload): live news
 * for UIs, and for discovery of work that follows artifacts.
 */
public record ArtifactPublished(String project, String name, String version, String sha256, long size,
    String channel, String by, long at) {}
