package org.buildswarm.deploy.impl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.message.LineTime;

/**
 * Puts a time before each line of a job's log, from the log's time index: a line has the time of
 * the last entry at or before its first byte (the index is coalesced, so lines written within
 * 100 ms of an indexed one show its time). Fed in parts as a followed log grows; lines may end in a
 * later part than they start. Lines before any entry (a log from before there were times) get a
 * blank of the same width.
 */
public final class TimestampedLines {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

  private final DateTimeFormatter format;
  private final List<LineTime> times = new ArrayList<>();
  private int passed; // entries at or before the current position
  private long position;
  private boolean atLineStart = true;
  private String blank;

  /** @param iso full ISO 8601 times with the zone's offset, rather than the time of day */
  public TimestampedLines(ZoneId zone, boolean iso) {
    this.format = (iso ? ISO : CLOCK).withZone(zone);
  }

  /** More entries, for bytes not passed yet (ascending, after those already given). */
  public void add(List<LineTime> more) {
    for (LineTime time : more) {
      if (times.isEmpty() || time.offset() > times.get(times.size() - 1).offset()) {
        times.add(time);
      }
    }
  }

  /** The next bytes of the log, with a time before each line that starts in them. */
  public byte[] next(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 32);
    for (byte b : data) {
      if (atLineStart) {
        while (passed < times.size() && times.get(passed).offset() <= position) {
          passed++;
        }
        String prefix = passed == 0 ? blank() : format.format(Instant.ofEpochMilli(times.get(passed - 1).epochMs()));
        out.writeBytes((prefix + " ").getBytes(StandardCharsets.UTF_8));
      }
      out.write(b);
      position++;
      atLineStart = b == '\n';
    }
    return out.toByteArray();
  }

  private String blank() {
    if (blank == null) {
      blank = " ".repeat(format.format(Instant.EPOCH).length());
    }
    return blank;
  }
}
