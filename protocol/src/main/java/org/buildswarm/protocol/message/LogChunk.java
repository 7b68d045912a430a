package org.buildswarm.protocol.message;

/**
 * A piece of an attempt's log starting at byte {@code offset}. The sink appends it only when
 * {@code offset} equals its current length, so a resent chunk is never written twice.
 */
public record LogChunk(AttemptRef attempt, long offset, byte[] data, boolean eof) {}
