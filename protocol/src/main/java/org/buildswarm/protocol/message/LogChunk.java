package org.buildswarm.protocol.message;

/**
 * A piece of an attempt's log starting at byte {@code offset}. The sink appends it only when
 * {@code offset} equals its current length, so a resent chunk is never written twice.
 *
 * @param jobToken the attempt's job token (from its assignment): proves the drone was given this
 *     attempt, so no drone can write another's logs
 */
public record LogChunk(String drone, AttemptRef attempt, String jobToken, long offset, byte[] data, boolean eof)
    implements FromDrone {}
