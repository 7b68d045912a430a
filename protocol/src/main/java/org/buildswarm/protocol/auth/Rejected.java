package org.buildswarm.protocol.auth;

/**
 * What a codec hands on instead of a message that failed its checks (forged, from a node without
 * credentials, a drone speaking for another, replayed): the event bus's inbound check answers it
 * with 403 and nothing acts on it.
 */
public record Rejected(String type, String reason) {}
