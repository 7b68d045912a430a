package org.buildswarm.protocol.api;

/** Asks who holds the token whose SHA-256 (hex) this is. Raw tokens never cross the bus. */
public record VerifyToken(String tokenSha256) {}
