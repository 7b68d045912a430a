package org.buildswarm.protocol.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.auth.Envelopes;
import org.buildswarm.protocol.auth.JobTokens;
import org.buildswarm.protocol.auth.Rejected;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LineTime;
import org.buildswarm.protocol.message.LogChunk;

/**
 * Log chunks are the bulk of what drones send: carried as raw bytes between cluster members (JSON
 * would base64 them, a third larger and slower to both ends), sealed like every other message. On
 * arrival a chunk must also carry its attempt's job token: only the drone given an attempt can
 * write its log.
 *
 * <p>The chunk's time index entries follow the data (a count, then offset and epoch ms each), last,
 * so a payload without them reads as a chunk without times and a reader that does not know them
 * stops before them.
 */
public final class LogChunkCodec implements MessageCodec<LogChunk, Object> {
  private static final String TYPE = LogChunk.class.getName();
  private final Envelopes envelopes;
  private final JobTokens jobTokens;

  /** @param envelopes this node's seals, null on an event bus that does not leave the JVM */
  public LogChunkCodec(Envelopes envelopes) {
    this.envelopes = envelopes;
    this.jobTokens = envelopes == null || envelopes.credentials().role()
        != org.buildswarm.protocol.auth.Credentials.Role.CONTROL ? null : new JobTokens(envelopes.credentials());
  }

  @Override
  public void encodeToWire(Buffer buffer, LogChunk chunk) {
    Buffer payload = Buffer.buffer(68 + chunk.data().length + chunk.times().size() * 16);
    byte[] drone = bytes(chunk.drone());
    byte[] token = bytes(chunk.jobToken());
    payload.appendLong(chunk.attempt().jobId())
        .appendInt(chunk.attempt().attempt())
        .appendLong(chunk.attempt().token())
        .appendLong(chunk.offset())
        .appendByte((byte) (chunk.eof() ? 1 : 0))
        .appendShort((short) drone.length).appendBytes(drone)
        .appendShort((short) token.length).appendBytes(token)
        .appendInt(chunk.data().length)
        .appendBytes(chunk.data())
        .appendInt(chunk.times().size());
    for (LineTime time : chunk.times()) {
      payload.appendLong(time.offset()).appendLong(time.epochMs());
    }
    if (envelopes == null) {
      buffer.appendInt(payload.length()).appendBuffer(payload);
    } else {
      envelopes.seal(buffer, TYPE, chunk, payload.getBytes());
    }
  }

  /** The chunk, or a {@link Rejected} for one whose seal or job token does not hold. */
  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    if (envelopes == null) {
      int length = buffer.getInt(pos);
      return parse(buffer.getBuffer(pos + 4, pos + 4 + length));
    }
    try {
      Envelopes.Opened opened = envelopes.open(pos, buffer, TYPE);
      LogChunk chunk = parse(Buffer.buffer(opened.payload()));
      Envelopes.authorize(opened.sender(), chunk, TYPE);
      if (jobTokens != null && !jobTokens.verify(chunk.jobToken()).map(chunk.attempt()::equals).orElse(false)) {
        throw new Envelopes.Refused("a log chunk of " + chunk.attempt() + " without that attempt's job token");
      }
      return chunk;
    } catch (Envelopes.Refused | RuntimeException refused) {
      return new Rejected("LogChunk", refused.getMessage());
    }
  }

  private static LogChunk parse(Buffer payload) {
    long jobId = payload.getLong(0);
    int attempt = payload.getInt(8);
    long token = payload.getLong(12);
    long offset = payload.getLong(20);
    boolean eof = payload.getByte(28) == 1;
    int at = 29;
    int droneLength = payload.getShort(at);
    String drone = payload.getString(at + 2, at + 2 + droneLength, "UTF-8");
    at += 2 + droneLength;
    int tokenLength = payload.getShort(at);
    String jobToken = payload.getString(at + 2, at + 2 + tokenLength, "UTF-8");
    at += 2 + tokenLength;
    int length = payload.getInt(at);
    byte[] data = payload.getBytes(at + 4, at + 4 + length);
    at += 4 + length;
    List<LineTime> times = new ArrayList<>();
    if (payload.length() >= at + 4) {
      int count = payload.getInt(at);
      if (count < 0 || (long) count * 16 > payload.length() - at - 4) {
        throw new IllegalArgumentException("a log chunk with " + count + " times in " + (payload.length() - at - 4)
            + " bytes");
      }
      for (int i = 0, pos = at + 4; i < count; i++, pos += 16) {
        times.add(new LineTime(payload.getLong(pos), payload.getLong(pos + 8)));
      }
    }
    return new LogChunk(drone.isEmpty() ? null : drone, new AttemptRef(jobId, attempt, token),
        jobToken.isEmpty() ? null : jobToken, offset, data, eof, times);
  }

  private static byte[] bytes(String text) {
    return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Object transform(LogChunk chunk) {
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
