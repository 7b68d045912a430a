package org.buildswarm.gateway.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.buildswarm.protocol.LineTimeFile;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LineTime;

/**
 * Job logs on the gateway's disk: {@code logs/<job>/<attempt>.log}, plus {@code <attempt>.done}
 * once the drone sent the end. Appends are idempotent by byte offset, so a resent chunk is never
 * written twice and a gap is answered with the length the drone must resend from. Blocking.
 *
 * <p>Beside each log, {@code <attempt>.times} is its time index ({@link LineTimeFile}): a chunk's
 * entries are kept only for the bytes it adds, like the bytes themselves. They are written before
 * the bytes and only past the last entry kept, so a crash between the two neither loses a resent
 * chunk's entries nor keeps them twice; an entry past the log's end is not read.
 */
public final class LogStore {
  private final Path root;
  private final Map<Path, Long> lengths = new ConcurrentHashMap<>();
  /** Per log, the offset of the last entry in its time index (-1 for none). */
  private final Map<Path, Long> lastTimes = new ConcurrentHashMap<>();

  public LogStore(Path root) {
    this.root = root;
  }

  /** A log's location; {@code complete} once the drone said it ended. */
  public record LogFile(Path path, int attempt, long length, boolean complete) {}

  /** The time index entries of an attempt's log. */
  public record LogTimes(int attempt, List<LineTime> times) {}

  /** A chunk without times. */
  public long append(AttemptRef attempt, long offset, byte[] data, boolean eof) throws IOException {
    return append(attempt, offset, data, eof, List.of());
  }

  /**
   * @param times the chunk's time index entries (those outside its bytes, or out of order, are dropped)
   * @return the log's length after this chunk: what the drone sends from next
   */
  public synchronized long append(AttemptRef attempt, long offset, byte[] data, boolean eof, List<LineTime> times)
      throws IOException {
    Path file = logPath(attempt.jobId(), attempt.attempt());
    long length = lengths.computeIfAbsent(file, LogStore::sizeOf);
    if (offset <= length && offset + data.length > length) {
      int skip = (int) (length - offset);
      Files.createDirectories(file.getParent());
      appendTimes(file, times, length, offset + data.length);
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND)) {
        ByteBuffer buffer = ByteBuffer.wrap(data, skip, data.length - skip);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
      length = offset + data.length;
      lengths.put(file, length);
    }
    if (eof && offset + data.length == length) {
      Files.createDirectories(file.getParent());
      Files.writeString(donePath(attempt.jobId(), attempt.attempt()), Long.toString(length));
      lengths.remove(file);
      lastTimes.remove(file);
    }
    return length;
  }

  /** Keeps the entries for the new bytes {@code [from, to)} that come after the last entry kept. */
  private void appendTimes(Path log, List<LineTime> times, long from, long to) throws IOException {
    Path index = timesPath(log);
    long last = lastTimes.computeIfAbsent(log, ignored -> lastOffsetOf(index));
    List<LineTime> fresh = new ArrayList<>();
    for (LineTime time : times) {
      if (time.offset() >= from && time.offset() < to && time.offset() > last) {
        fresh.add(time);
        last = time.offset();
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    try (FileChannel channel = FileChannel.open(index, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      // After a crash mid-record, the torn record goes: appends stay aligned.
      long size = channel.size();
      channel.truncate(size - size % LineTimeFile.RECORD_BYTES);
      channel.position(channel.size());
      ByteBuffer buffer = ByteBuffer.wrap(LineTimeFile.encode(fresh));
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
    lastTimes.put(log, last);
  }

  /**
   * The time index entries of an attempt's log (the latest attempt's when {@code attempt} is null)
   * from offset {@code from}, ascending; null if there is no such log.
   */
  public LogTimes times(long jobId, Integer attempt, long from) throws IOException {
    LogFile log = find(jobId, attempt);
    if (log == null) {
      return null;
    }
    return new LogTimes(log.attempt(), LineTimeFile.read(timesPath(log.path()), Math.max(0, from), log.length()));
  }

  /** The log of an attempt, or of the latest attempt when {@code attempt} is null; null if none. */
  public LogFile find(long jobId, Integer attempt) throws IOException {
    int chosen = attempt == null ? latestAttempt(jobId) : attempt;
    if (chosen < 1) {
      return null;
    }
    Path file = logPath(jobId, chosen);
    if (!Files.exists(file)) {
      return null;
    }
    return new LogFile(file, chosen, Files.size(file), Files.exists(donePath(jobId, chosen)));
  }

  private int latestAttempt(long jobId) throws IOException {
    Path directory = root.resolve(Long.toString(jobId));
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    int latest = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.log")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        try {
          latest = Math.max(latest, Integer.parseInt(name.substring(0, name.length() - 4)));
        } catch (NumberFormatException e) {
          // not ours
        }
      }
    }
    return latest;
  }

  private Path logPath(long jobId, int attempt) {
    return root.resolve(Long.toString(jobId)).resolve(attempt + ".log");
  }

  private static Path timesPath(Path log) {
    String name = log.getFileName().toString();
    return log.resolveSibling(name.substring(0, name.length() - ".log".length()) + ".times");
  }

  private static long lastOffsetOf(Path index) {
    try {
      return LineTimeFile.lastOffset(index);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Path donePath(long jobId, int attempt) {
    return root.resolve(Long.toString(jobId)).resolve(attempt + ".done");
  }

  private static long sizeOf(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
