package org.buildswarm.protocol.api;

/**
 * A channel pointer ({@code latest}, {@code production}…) moved to a version; the channel's history
 * is the list of its moves, so a rollback is one more move, to an older version.
 *
 * @param previous the version it pointed to before, null for the first move
 */
public record ChannelMove(String channel, String version, String previous, String by, long at) {}
