package org.buildswarm.protocol.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import org.buildswarm.protocol.ProtocolJson;

/**
 * Carries an immutable record over the event bus: as-is inside one JVM, as length-prefixed JSON
 * between cluster members (the clustered bus refuses {@code Serializable}).
 */
public final class RecordMessageCodec<T> implements MessageCodec<T, T> {
  private final Class<T> type;

  public RecordMessageCodec(Class<T> type) {
    this.type = type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    byte[] json = ProtocolJson.toBytes(value);
    buffer.appendInt(json.length).appendBytes(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return ProtocolJson.fromBytes(buffer.getBytes(pos + 4, pos + 4 + length), type);
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
