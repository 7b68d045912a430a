package org.buildswarm.protocol.api;

/** A gateway's HTTP base URL as others in the swarm reach it, e.g. {@code http://100.64.0.7:7070/}. */
public record GatewayInfo(String drone, String url) implements org.buildswarm.protocol.message.ToDrone {}
