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
 * @param readsNeedToken whether reading (runs, logs, artifacts, status, live events) needs a viewer token;
 *     null (default) means yes exactly when {@code host} is not a loopback address
 * @param http connection limits (default {@link HttpLimits#defaults()})
 * @param buildCache limits of the remote build cache (default {@link BuildCacheLimits#defaults()})
 */
public record GatewayOptions(
    String host, int port, Path dataDirectory, long maxBodyBytes, long requestTimeoutMs, long tokenCacheMs,
    long maxArtifactBytes, int artifactVersionsKept, long retentionIntervalMs, long snapshotIntervalMs,
    String advertisedUrl, Boolean readsNeedToken, HttpLimits http, BuildCacheLimits buildCache) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7070;
  public static final long DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
  public static final long DEFAULT_TOKEN_CACHE_MS = 30_000;
  public static final long DEFAULT_MAX_ARTIFACT_BYTES = 8L * 1024 * 1024 * 1024;
  public static final int DEFAULT_ARTIFACT_VERSIONS_KEPT = 50;
  public static final long DEFAULT_RETENTION_INTERVAL_MS = 60 * 60 * 1000;
  public static final long DEFAULT_SNAPSHOT_INTERVAL_MS = 3_000;

  /**
   * How long and how many: what keeps a slow or hostile client from holding the gateway.
   *
   * @param headerTimeoutMs a connection that has not sent a whole request head within this is closed
   *     (slowloris; default {@value #DEFAULT_HEADER_TIMEOUT_MS})
   * @param idleTimeoutMs a connection with no traffic either way for this long is closed (default
   *     {@value #DEFAULT_IDLE_TIMEOUT_MS}; live events send a keep-alive every 15 s)
   * @param maxLiveClients live-event streams open at once; more are answered 503 (default {@value #DEFAULT_MAX_LIVE_CLIENTS})
   */
  public record HttpLimits(long headerTimeoutMs, long idleTimeoutMs, int maxLiveClients) {
    public static final long DEFAULT_HEADER_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
    public static final int DEFAULT_MAX_LIVE_CLIENTS = 256;

    public static HttpLimits defaults() {
      return new HttpLimits(DEFAULT_HEADER_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_LIVE_CLIENTS);
    }
  }

  /**
   * What the remote build cache (Turborepo, Gradle) may hold. Entries are kept by use: retention
   * drops those unused for longer than {@code unusedForMs}, then the least recently used until the
   * cache fits in {@code maxTotalBytes}.
   *
   * @param maxEntryBytes largest entry accepted; larger gets 413 (default {@value #DEFAULT_MAX_ENTRY_BYTES})
   * @param maxTotalBytes bytes the cache keeps at most after a retention pass (default {@value #DEFAULT_MAX_TOTAL_BYTES})
   * @param unusedForMs an entry neither written nor read for this long is dropped (default {@value #DEFAULT_UNUSED_FOR_MS}, 14 days)
   */
  public record BuildCacheLimits(long maxEntryBytes, long maxTotalBytes, long unusedForMs) {
    public static final long DEFAULT_MAX_ENTRY_BYTES = 2L * 1024 * 1024 * 1024;
    public static final long DEFAULT_MAX_TOTAL_BYTES = 50L * 1024 * 1024 * 1024;
    public static final long DEFAULT_UNUSED_FOR_MS = 14L * 24 * 60 * 60 * 1000;

    public static BuildCacheLimits defaults() {
      return new BuildCacheLimits(DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_TOTAL_BYTES, DEFAULT_UNUSED_FOR_MS);
    }
  }

  public GatewayOptions {
    http = http == null ? HttpLimits.defaults() : http;
    buildCache = buildCache == null ? BuildCacheLimits.defaults() : buildCache;
  }

  /** Whether reads need a viewer token, with the default applied. */
  public boolean readsNeedTokenInEffect() {
    if (readsNeedToken != null) {
      return readsNeedToken;
    }
    try {
      return !java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return true;
    }
  }

  public GatewayOptions withReadsNeedToken(Boolean needed) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl, needed, http, buildCache);
  }

  public GatewayOptions withHttpLimits(HttpLimits limits) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl, readsNeedToken,
        limits, buildCache);
  }

  public static GatewayOptions defaults(Path dataDirectory) {
    return new GatewayOptions(DEFAULT_HOST, DEFAULT_PORT, dataDirectory, DEFAULT_MAX_BODY_BYTES,
        DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TOKEN_CACHE_MS, DEFAULT_MAX_ARTIFACT_BYTES, DEFAULT_ARTIFACT_VERSIONS_KEPT,
        DEFAULT_RETENTION_INTERVAL_MS, DEFAULT_SNAPSHOT_INTERVAL_MS, null, null, HttpLimits.defaults(),
        BuildCacheLimits.defaults());
  }

  public GatewayOptions withAddress(String newHost, int newPort) {
    return new GatewayOptions(newHost, newPort, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl, readsNeedToken, http, buildCache);
  }

  public GatewayOptions withLimits(long newMaxBodyBytes, long newMaxArtifactBytes) {
    return new GatewayOptions(host, port, dataDirectory, newMaxBodyBytes, requestTimeoutMs, tokenCacheMs,
        newMaxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl, readsNeedToken, http, buildCache);
  }

  public GatewayOptions withTimeouts(long newRequestTimeoutMs, long newTokenCacheMs) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, newRequestTimeoutMs, newTokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl, readsNeedToken, http, buildCache);
  }

  public GatewayOptions withRetention(int newVersionsKept, long newIntervalMs) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, newVersionsKept, newIntervalMs, snapshotIntervalMs, advertisedUrl, readsNeedToken, http, buildCache);
  }

  public GatewayOptions withSnapshotInterval(long newIntervalMs) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, newIntervalMs, advertisedUrl, readsNeedToken, http, buildCache);
  }

  public GatewayOptions withAdvertisedUrl(String url) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, url, readsNeedToken, http, buildCache);
  }

  public GatewayOptions withBuildCacheLimits(BuildCacheLimits limits) {
    return new GatewayOptions(host, port, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs,
        maxArtifactBytes, artifactVersionsKept, retentionIntervalMs, snapshotIntervalMs, advertisedUrl, readsNeedToken,
        http, limits);
  }
}
