package org.buildswarm.gateway;

import java.nio.file.Path;

/**
 * Settings of one gateway.
 *
 * @param host address to listen on (default {@value #DEFAULT_HOST}: only this machine)
 * @param port TCP port; 0 picks a free one (default {@value #DEFAULT_PORT})
 * @param dataDirectory job logs live under {@code logs/}, artifacts under {@code artifacts/}, the
 *     status snapshot in {@code status-snapshot.json}
 * @param maxBodyBytes largest API request body accepted; larger gets 413 (default {@value #DEFAULT_MAX_BODY_BYTES})
 * @param requestTimeoutMs how long API calls wait for the orchestrator (default {@value #DEFAULT_REQUEST_TIMEOUT_MS})
 * @param tokenCacheMs how long a verified API token is trusted without asking again (default {@value #DEFAULT_TOKEN_CACHE_MS})
 * @param maxArtifactBytes largest artifact accepted; larger gets 413 (default {@value #DEFAULT_MAX_ARTIFACT_BYTES})
 * @param artifactVersionsKept versions of each artifact kept by retention besides those a channel
 *     points to; 0 keeps all (default {@value #DEFAULT_ARTIFACT_VERSIONS_KEPT})
 * @param retentionIntervalMs time between retention passes (default {@value #DEFAULT_RETENTION_INTERVAL_MS})
 * @param snapshotIntervalMs time between status snapshots (default {@value #DEFAULT_SNAPSHOT_INTERVAL_MS})
 * @param advertisedUrl the URL drones use to reach this gateway; null means {@code http://host:port/}
 */
public record GatewayOptions(
    String host, int port, Path dataDirectory, long maxBodyBytes, long requestTimeoutMs, long tokenCacheMs,
    long maxArtifactBytes, int artifactVersionsKept, long retentionIntervalMs, long snapshotIntervalMs,
    String advertisedUrl) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7070;
  public static final long DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
  public static final long DEFAULT_TOKEN_CACHE_MS = 30_000;
  public static final long DEFAULT_MAX_ARTIFACT_BYTES = 8L * 1024 * 1024 * 1024;
  public static final int DEFAULT_ARTIFACT_VERSIONS_KEPT = 50;
  public static final long DEFAULT_RETENTION_INTERVAL_MS = 60 * 60 * 1000;
  public static final long DEFAULT_SNAPSHOT_INTERVAL_MS = 3_000;

  public static GatewayOptions defaults(Path dataDirectory) {
    return new GatewayOptions(DEFAULT_HOST, DEFAULT_PORT, dataDirectory, DEFAULT_MAX_BODY_BYTES,
        DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TOKEN_CACHE_MS, DEFAULT_MAX_ARTIFACT_BYTES, DEFAULT_ARTIFACT_VERSIONS_KEPT,
        DEFAULT_RETENTION_INTERVAL_MS, DEFAULT_SNAPSHOT_INTERVAL_MS, null);
  }

  public GatewayOptions withAddress(String newHost, int newPort) {
    return new GatewayOptions(newHost, newPort, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl);
  }

  public GatewayOptions withLimits(long newMaxBodyBytes, long newMaxArtifactBytes) {
    return new GatewayOptions(host, port, dataDirectory, newMaxBodyBytes, requestTimeoutMs, tokenCacheMs,
        newMaxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl);
  }

  public GatewayOptions withTimeouts(long newRequestTimeoutMs, long newTokenCacheMs) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, newRequestTimeoutMs, newTokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl);
  }

  public GatewayOptions withRetention(int newVersionsKept, long newIntervalMs) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, newVersionsKept, newIntervalMs, snapshotIntervalMs, advertisedUrl);
  }

  public GatewayOptions withSnapshotInterval(long newIntervalMs) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, newIntervalMs, advertisedUrl);
  }

  public GatewayOptions withAdvertisedUrl(String url) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, url);
  }
}
