package org.buildswarm.protocol.api;

/** Published when a token is revoked, so gateways drop what they trusted without asking. */
public record TokensChanged(String revokedName) {}
