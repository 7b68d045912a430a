package org.buildswarm.drone.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import org.buildswarm.protocol.LineTimeFile;

/**
 * Indexes the times of an attempt's log as it is written, into a spool file beside it
 * ({@link LineTimeFile}). Coalesced so a log of many tiny lines written fast keeps a small index:
 * a line start gets an entry only if {@value #INTERVAL_MS} ms passed since the last entry, except
 * the log's first line and the drone's own lines, whose times mark the steps.
 *
 * <p>Entries are buffered and written (never synced) just before the bytes they point into, so
 * whoever reads the log's bytes and then the index finds an entry for every indexed line it read.
 * One writer at a time (the {@link JobLog}'s lock).
 */
final class LineTimes {
  private static final Logger LOG = Logger.getLogger(LineTimes.class.getName());
  static final long INTERVAL_MS = 100;
  static final String SUFFIX = ".times";

  private final OutputStream out;
  private final LongSupplier clock;
  private final ByteBuffer record = ByteBuffer.allocate(LineTimeFile.RECORD_BYTES);
  private long position;
  private boolean atLineStart = true;
  private boolean any;
  private long lastEntryAt;
  private boolean broken;

  /** @param position the log's length so far (where the next byte written goes) */
  LineTimes(OutputStream out, LongSupplier clock, long position) {
    this.out = out;
    this.clock = clock;
    this.position = position;
  }

  /** The index spool beside a log spool ({@code 7-1-ab.log} → {@code 7-1-ab.times}). */
  static Path beside(Path log) {
    String name = log.getFileName().toString();
    return log.resolveSibling((name.endsWith(".log") ? name.substring(0, name.length() - 4) : name) + SUFFIX);
  }

  long now() {
    return clock.getAsLong();
  }

  /**
   * Call with the bytes about to be written at the log's end, before writing them.
   *
   * @param droneLine the drone's own line: its start is indexed whatever the time since the last entry
   * @param receivedAt when they were written by the step (earlier than now when held back for masking)
   */
  void writing(byte[] bytes, int offset, int length, boolean droneLine, long receivedAt) {
    if (length <= 0) {
      return;
    }
    long start = position;
    position += length;
    boolean lineStartAtEnd = bytes[offset + length - 1] == '\n';
    if (broken) {
      atLineStart = lineStartAtEnd;
      return;
    }
    long now = Math.max(receivedAt, lastEntryAt); // never back in time, whatever held the bytes
    if (any && !droneLine && now - lastEntryAt < INTERVAL_MS) {
      atLineStart = lineStartAtEnd; // no line in these bytes would be indexed: no need to look for one
      return;
    }
    // The first line starting in these bytes (all written now) is the one to index.
    int lineStart = atLineStart ? 0 : -1;
    for (int i = 0; lineStart < 0 && i < length - 1; i++) {
      if (bytes[offset + i] == '\n') {
        lineStart = i + 1;
      }
    }
    atLineStart = lineStartAtEnd;
    if (lineStart >= 0) {
      record(start + lineStart, now);
    }
  }

  private void record(long offset, long epochMs) {
    any = true;
    lastEntryAt = epochMs;
    record.clear();
    record.putLong(offset).putLong(epochMs);
    try {
      out.write(record.array());
      out.flush(); // before the bytes it points into; at most ten a second from a step
    } catch (IOException e) {
      // The index is a convenience: without it the log is still whole.
      broken = true;
      LOG.warning("could not write a log's time index, the rest of the log has no times: " + e.getMessage());
    }
  }

  void close() {
    try {
      out.close();
    } catch (IOException e) {
      LOG.warning("could not close a log's time index: " + e.getMessage());
    }
  }
}
