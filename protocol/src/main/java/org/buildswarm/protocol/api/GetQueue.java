package org.buildswarm.protocol.api;

/** Asks for the jobs waiting for a drone, at most {@code limit} of them. */
public record GetQueue(int limit) {
  public static final int DEFAULT_LIMIT = 200;
}
