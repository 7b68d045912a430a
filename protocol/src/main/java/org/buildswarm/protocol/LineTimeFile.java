package org.buildswarm.protocol;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.message.LineTime;

/**
 * The on-disk form of a log's time index, the same beside the drone's spool and the gateway's log:
 * fixed records of {@value #RECORD_BYTES} bytes (offset, epoch ms; big-endian longs) in ascending
 * offset order. Fixed records let a reader find an offset by bisection, and a torn last record (a
 * crash while writing) is simply not read. Blocking.
 */
public final class LineTimeFile {
  public static final int RECORD_BYTES = 16;
  private static final int BLOCK_RECORDS = 4096;

  private LineTimeFile() {}

  public static byte[] encode(List<LineTime> times) {
    ByteBuffer buffer = ByteBuffer.allocate(times.size() * RECORD_BYTES);
    for (LineTime time : times) {
      buffer.putLong(time.offset()).putLong(time.epochMs());
    }
    return buffer.array();
  }

  /** The entries with {@code from <= offset < to}, ascending; none if the file does not exist. */
  public static List<LineTime> read(Path file, long from, long to) throws IOException {
    List<LineTime> times = new ArrayList<>();
    if (from >= to) {
      return times;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long records = in.length() / RECORD_BYTES;
      long low = 0;
      long high = records;
      while (low < high) { // the first record whose offset is >= from
        long middle = (low + high) >>> 1;
        in.seek(middle * RECORD_BYTES);
        if (in.readLong() < from) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      // In blocks: a drone's chunk wants a few entries from a long index, not all that follow.
      byte[] block = new byte[BLOCK_RECORDS * RECORD_BYTES];
      for (long at = low; at < records; at += BLOCK_RECORDS) {
        int count = (int) Math.min(BLOCK_RECORDS, records - at);
        in.seek(at * RECORD_BYTES);
        in.readFully(block, 0, count * RECORD_BYTES);
        ByteBuffer buffer = ByteBuffer.wrap(block, 0, count * RECORD_BYTES);
        for (int i = 0; i < count; i++) {
          long offset = buffer.getLong();
          long epochMs = buffer.getLong();
          if (offset >= to) {
            return times;
          }
          times.add(new LineTime(offset, epochMs));
        }
      }
    } catch (java.io.FileNotFoundException | NoSuchFileException e) {
      return times;
    }
    return times;
  }

  /** The last whole record's offset, or -1 if there is none. */
  public static long lastOffset(Path file) throws IOException {
    if (!Files.exists(file)) {
      return -1;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long records = in.length() / RECORD_BYTES;
      if (records == 0) {
        return -1;
      }
      in.seek((records - 1) * RECORD_BYTES);
      return in.readLong();
    }
  }
}
