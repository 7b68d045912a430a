package org.buildswarm.orchestrator.discovery;

/**
 * A project's outgoing webhook: a signed JSON POST when a run finishes or a deploy is done or
 * rolled back. The body's HMAC-SHA256 with {@code secret} is in {@code X-Buildswarm-Signature-256}
 * ({@code sha256=<hex>}), as GitHub signs its deliveries.
 */
public record Notifier(String url, String secret) {
  @Override
  public String toString() {
    return "Notifier[" + url + "]"; // never the secret
  }
}
