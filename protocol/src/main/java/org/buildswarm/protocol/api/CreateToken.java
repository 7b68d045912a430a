package org.buildswarm.protocol.api;

/**
 * Saves a new API token. The gateway makes the token and sends only its SHA-256 (hex); the raw
 * token is shown once to whoever asked and never crosses the bus. Replies the {@link TokenSummary};
 * a name already taken fails with 409.
 */
public record CreateToken(String name, Role role, String tokenSha256, String requestedBy) {}
