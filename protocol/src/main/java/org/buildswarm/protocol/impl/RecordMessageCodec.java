package org.buildswarm.protocol.impl;

import io.vertx.core.buffer.Buffer;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import org.buildswarm.protocol.ProtocolJson;

/**
 * Carries an immutable record over the event bus: as-is inside one JVM, as length-prefixed JSON
 * between cluster members (the clustered bus refuses {@code Serializable}).
 */
public final class RecordMessageCodec<T> implements MessageCodec<T, T> {
  private final Class<T> type;
  // Bound to the type once: cheaper than looking the type up on every message.
  private final ObjectReader reader;
  private final ObjectWriter writer;

  public RecordMessageCodec(Class<T> type) {
    this.type = type;
    this.reader = ProtocolJson.mapper().readerFor(type);
    this.writer = ProtocolJson.mapper().writerFor(type);
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    byte[] json;
    try {
      json = writer.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot encode " + type.getSimpleName(), e);
    }
    buffer.appendInt(json.length).appendBytes(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    try {
      return reader.readValue(buffer.getBytes(pos + 4, pos + 4 + length));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot decode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public T transform(T value) {
    return value; // records are immutable: sharing within the JVM is safe
  }

  @Override
  public String name() {
    return "buildswarm:" + type.getName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
