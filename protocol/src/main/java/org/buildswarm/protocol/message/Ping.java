package org.buildswarm.protocol.message;

/**
 * Sent by a node to its own address through the cluster, to check that the cluster still routes
 * it there (after a partition heals, a subscription can be missing until re-registered).
 */
public record Ping(String drone) implements FromDrone, DroneCommand {}
