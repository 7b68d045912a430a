package org.buildswarm.protocol.api;

/** Asks for every API token (names and roles only). */
public record ListTokens() {}
