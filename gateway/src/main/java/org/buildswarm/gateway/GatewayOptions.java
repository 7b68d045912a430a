package org.buildswarm.gateway;

import java.nio.file.Path;

/**
 * Settings of one gateway.
 *
 * @param host address to listen on (default {@value #DEFAULT_HOST}: only this machine)
 * @param port TCP port; 0 picks a free one (default {@value #DEFAULT_PORT})
 * @param dataDirectory job logs live under {@code logs/} here
 * @param maxBodyBytes largest request body accepted; larger gets 413 (default {@value #DEFAULT_MAX_BODY_BYTES})
 * @param requestTimeoutMs how long API calls wait for the orchestrator (default {@value #DEFAULT_REQUEST_TIMEOUT_MS})
 * @param tokenCacheMs how long a verified API token is trusted without asking again (default {@value #DEFAULT_TOKEN_CACHE_MS})
 */
public record GatewayOptions(
    String host, int port, Path dataDirectory, long maxBodyBytes, long requestTimeoutMs, long tokenCacheMs) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7070;
  public static final long DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
  public static final long DEFAULT_TOKEN_CACHE_MS = 30_000;

  public static GatewayOptions defaults(Path dataDirectory) {
    return new GatewayOptions(DEFAULT_HOST, DEFAULT_PORT, dataDirectory, DEFAULT_MAX_BODY_BYTES,
        DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TOKEN_CACHE_MS);
  }

  public GatewayOptions withAddress(String newHost, int newPort) {
    return new GatewayOptions(newHost, newPort, dataDirectory, maxBodyBytes, requestTimeoutMs, tokenCacheMs);
  }
}
