package org.buildswarm.protocol.impl;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.auth.Envelopes;
import org.buildswarm.protocol.auth.Rejected;

/**
 * Carries an immutable record over the event bus: as-is inside one JVM, as JSON between cluster
 * members (the clustered bus refuses {@code Serializable}) — sealed with the node's credentials
 * when it has them, and checked on arrival: a message whose seal does not hold, or that its sender
 * may not send, arrives as {@link Rejected} instead.
 */
public final class RecordMessageCodec<T> implements MessageCodec<T, T> {
  private final Class<T> type;
  private final String typeName;
  // Bound to the type once: cheaper than looking the type up on every message.
  private final ObjectReader reader;
  private final ObjectWriter writer;
  private final Envelopes envelopes;

  /** @param envelopes this node's seals; null on an event bus that does not leave the JVM */
  public RecordMessageCodec(Class<T> type, Envelopes envelopes) {
    this.type = type;
    this.typeName = type.getName();
    this.reader = ProtocolJson.mapper().readerFor(type);
    this.writer = ProtocolJson.mapper().writerFor(type);
    this.envelopes = envelopes;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    byte[] json;
    try {
      json = writer.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot encode " + type.getSimpleName(), e);
    }
    if (envelopes == null) {
      buffer.appendInt(json.length).appendBytes(json);
    } else {
      envelopes.seal(buffer, typeName, value, json);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public T decodeFromWire(int pos, Buffer buffer) {
    if (envelopes == null) {
      int length = buffer.getInt(pos);
      return read(buffer.getBytes(pos + 4, pos + 4 + length));
    }
    try {
      Envelopes.Opened opened = envelopes.open(pos, buffer, typeName);
      T value = read(opened.payload());
      Envelopes.authorize(opened.sender(), value, typeName);
      return value;
    } catch (Envelopes.Refused | RuntimeException refused) {
      // Handed on as is; the inbound check answers it and nothing acts on it.
      return (T) new Rejected(type.getSimpleName(), refused.getMessage());
    }
  }

  private T read(byte[] json) {
    try {
      return reader.readValue(json);
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
