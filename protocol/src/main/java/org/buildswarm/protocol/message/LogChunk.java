package org.buildswarm.protocol.message;

import java.util.List;

/**
 * A piece of an attempt's log starting at byte {@code offset}. The sink appends it only when
 * {@code offset} equals its current length, so a resent chunk is never written twice.
 *
 * @param jobToken the attempt's job token (from its assignment): proves the drone was given this
 *     attempt, so no drone can write another's logs
 * @param times the log's time index entries whose offsets fall inside this chunk's bytes, ascending;
 *     stored with the bytes, and like them only once
 */
public record LogChunk(String drone, AttemptRef attempt, String jobToken, long offset, byte[] data, boolean eof,
    List<LineTime> times) implements FromDrone {
  public LogChunk {
    times = times == null ? List.of() : List.copyOf(times);
  }

  /** A chunk without times (lines the drone did not index, or a log from before there were times). */
  public LogChunk(String drone, AttemptRef attempt, String jobToken, long offset, byte[] data, boolean eof) {
    this(drone, attempt, jobToken, offset, data, eof, List.of());
  }
}
