package org.buildswarm.protocol.api;

/** A drone asks where a gateway's HTTP API is (to upload artifacts). */
public record FindGateway(String drone) implements org.buildswarm.protocol.message.FromDrone {}
