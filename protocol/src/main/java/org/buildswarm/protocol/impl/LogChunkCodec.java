package org.buildswarm.protocol.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LogChunk;

/**
 * Log chunks are the bulk of what drones send: carried as raw bytes between cluster members
 * (JSON would base64 them, a third larger and slower to both ends).
 */
public final class LogChunkCodec implements MessageCodec<LogChunk, LogChunk> {
  @Override
  public void encodeToWire(Buffer buffer, LogChunk chunk) {
    buffer.appendLong(chunk.attempt().jobId())
        .appendInt(chunk.attempt().attempt())
        .appendLong(chunk.attempt().token())
        .appendLong(chunk.offset())
        .appendByte((byte) (chunk.eof() ? 1 : 0))
        .appendInt(chunk.data().length)
        .appendBytes(chunk.data());
  }

  @Override
  public LogChunk decodeFromWire(int pos, Buffer buffer) {
    long jobId = buffer.getLong(pos);
    int attempt = buffer.getInt(pos + 8);
    long token = buffer.getLong(pos + 12);
    long offset = buffer.getLong(pos + 20);
    boolean eof = buffer.getByte(pos + 28) == 1;
    int length = buffer.getInt(pos + 29);
    byte[] data = buffer.getBytes(pos + 33, pos + 33 + length);
    return new LogChunk(new AttemptRef(jobId, attempt, token), offset, data, eof);
  }

  @Override
  public LogChunk transform(LogChunk chunk) {
    return chunk;
  }

  @Override
  public String name() {
    return "buildswarm:log-chunk";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
