package org.buildswarm.gateway.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.buildswarm.protocol.message.AttemptRef;

/**
 * Job logs on the gateway's disk: {@code logs/<job>/<attempt>.log}, plus {@code <attempt>.done}
 * once the drone sent the end. Appends are idempotent by byte offset, so a resent chunk is never
 * written twice and a gap is answered with the length the drone must resend from. Blocking.
 */
public final class LogStore {
  private final Path root;
  private final Map<Path, Long> lengths = new ConcurrentHashMap<>();

  public LogStore(Path root) {
    this.root = root;
  }

  /** A log's location; {@code complete} once the drone said it ended. */
  public record LogFile(Path path, int attempt, long length, boolean complete) {}

  /**
   * @return the log's length after this chunk: what the drone sends from next
   */
  public synchronized long append(AttemptRef attempt, long offset, byte[] data, boolean eof) throws IOException {
    Path file = logPath(attempt.jobId(), attempt.attempt());
    long length = lengths.computeIfAbsent(file, LogStore::sizeOf);
    if (offset <= length && offset + data.length > length) {
      int skip = (int) (length - offset);
      Files.createDirectories(file.getParent());
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
    }
    return length;
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
