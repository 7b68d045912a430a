package org.buildswarm.orchestrator.impl;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.store.EventJournal;
import org.buildswarm.protocol.api.ApiFailures;

/**
 * What the orchestrator's endpoints share: their consumers (a handler that throws is answered, not
 * left hanging), answers from futures, and the event journal's promises to whoever asked — a change
 * is answered only once it is stored, refused while the store is away, and a read waits until the
 * store holds what the core had recorded.
 */
public final class Endpoints {
  private static final Logger LOG = Logger.getLogger(Endpoints.class.getName());

  private final Vertx vertx;
  private final EventJournal journal;
  private final Runnable scheduleSoon;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  /** @param scheduleSoon asks for one scheduling round after the current event (changes that free or add work call it) */
  public Endpoints(Vertx vertx, EventJournal journal, Runnable scheduleSoon) {
    this.vertx = vertx;
    this.journal = journal;
    this.scheduleSoon = scheduleSoon;
  }

  /** Every consumer registered so far, to wait for or to unregister. */
  public List<MessageConsumer<?>> consumers() {
    return consumers;
  }

  Vertx vertx() {
    return vertx;
  }

  public <T> void on(String address, Handler<Message<T>> handler) {
    MessageConsumer<T> consumer = vertx.eventBus().consumer(address, message -> {
      try {
        handler.handle(message);
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "handling a message on " + address + " failed", e);
        message.fail(ApiFailures.INTERNAL, e.toString());
      }
    });
    consumers.add(consumer);
  }

  void scheduleSoon() {
    scheduleSoon.run();
  }

  /** A user's change that could not be kept is refused (503) rather than half accepted. */
  boolean refuseWhileStoreIsAway(Message<?> message) {
    if (journal.failing()) {
      message.fail(ApiFailures.UNAVAILABLE, "the store is not available; nothing was changed, try again shortly");
      return true;
    }
    return false;
  }

  /** Completes once the store holds every change recorded so far, or at once while the store is away. */
  Future<Void> caughtUp() {
    return journal.failing() ? Future.succeededFuture() : written();
  }

  /** Completes once the store holds every change recorded so far; fails after a while if the store is away. */
  Future<Void> written() {
    return journal.whenWritten(journal.appended());
  }

  /** Replies once every state change made so far is in the store. */
  void replyWhenWritten(Message<?> message, Object reply) {
    written().onComplete(done -> {
      if (done.succeeded()) {
        message.reply(reply);
      } else {
        message.fail(ApiFailures.UNAVAILABLE, "the store is not available: " + done.cause().getMessage());
      }
    });
  }

  static <T> Future<T> refusal(int code, String reason) {
    return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, reason));
  }

  /** Answers with the future's result, its refusal's code and reason, or 503 for anything else. */
  static <T> void reply(Message<?> message, Future<T> result) {
    result.onComplete(done -> {
      if (done.succeeded()) {
        message.reply(done.result());
      } else if (done.cause() instanceof ReplyException failure) {
        message.fail(failure.failureCode(), failure.getMessage());
      } else {
        message.fail(ApiFailures.UNAVAILABLE, String.valueOf(done.cause().getMessage()));
      }
    });
  }
}
