package org.buildswarm.protocol.impl;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.auth.Rejected;

/**
 * The inbound check of an authenticated event bus: a message its codec rejected reaches no handler;
 * a request among them is answered with 403 and the reason, and each kind of rejection is logged
 * (once a minute at most, so a flood cannot fill the log).
 */
public final class RejectionCheck implements Handler<DeliveryContext<Object>> {
  private static final Logger LOG = Logger.getLogger(RejectionCheck.class.getName());
  private static final long LOG_EVERY_MS = 60_000;
  private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();
  private final java.util.Set<Class<?>> messageTypes;

  /** @param messageTypes the only bodies nodes exchange: anything else (a string, JSON) is refused too */
  public RejectionCheck(java.util.Collection<Class<?>> messageTypes) {
    this.messageTypes = java.util.Set.copyOf(messageTypes);
  }

  @Override
  public void handle(DeliveryContext<Object> context) {
    // message().body(), not context.body(): a message from another node is decoded (and its seal
    // checked) only when its body is first asked for.
    Object body = context.message().body();
    Rejected rejected;
    if (body instanceof Rejected refused) {
      rejected = refused;
    } else if (body == null || body instanceof io.vertx.core.eventbus.ReplyException
        || messageTypes.contains(body.getClass())) {
      context.next();
      return;
    } else {
      // Our codecs seal every buildswarm message; a body of another kind came through another codec, unsealed.
      rejected = new Rejected(body.getClass().getSimpleName(), "it is not a buildswarm message, so it is not sealed");
    }
    String what = rejected.type() + " on " + context.message().address() + ": " + rejected.reason();
    long now = System.currentTimeMillis();
    Long logged = lastLogged.get(what);
    if (logged == null || now - logged > LOG_EVERY_MS) {
      lastLogged.put(what, now);
      if (lastLogged.size() > 1_000) {
        lastLogged.clear();
      }
      LOG.warning("refused a message: " + what);
    }
    if (context.message().replyAddress() != null) {
      context.message().fail(ApiFailures.FORBIDDEN, "refused: " + rejected.reason());
    }
  }
}
