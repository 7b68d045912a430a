package org.buildswarm.gateway;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.logging.Logger;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.message.LogAck;
import org.buildswarm.protocol.message.LogChunk;

/** Receives log chunks from drones and appends them to the gateway's {@link LogStore}. */
public final class LogSinkVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(LogSinkVerticle.class.getName());

  private final LogStore store;
  private MessageConsumer<LogChunk> consumer;

  public LogSinkVerticle(LogStore store) {
    this.store = store;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(Addresses.LOG_APPEND, message -> {
      LogChunk chunk = message.body();
      vertx.executeBlocking(() -> store.append(chunk.attempt(), chunk.offset(), chunk.data(), chunk.eof(),
          chunk.times()), true)
          .onSuccess(length -> message.reply(new LogAck(chunk.drone(), length)))
          .onFailure(failure -> {
            LOG.warning("cannot store a log chunk of " + chunk.attempt() + ": " + failure.getMessage());
            message.fail(ApiFailures.UNAVAILABLE, failure.getMessage());
          });
    });
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }
}
