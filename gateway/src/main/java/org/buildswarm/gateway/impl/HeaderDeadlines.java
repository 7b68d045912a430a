package org.buildswarm.gateway.impl;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Closes a connection that has not sent a whole request head in time — at its start, and between
 * requests on a kept-alive connection — so clients that trickle headers (slowloris) cannot hold
 * connections open: the idle timeout alone does not, as each trickled byte resets it. Used on the
 * gateway's context only.
 */
public final class HeaderDeadlines {
  private final Vertx vertx;
  private final long timeoutMs;
  private final Set<HttpConnection> open = new HashSet<>();
  private final Map<HttpConnection, Long> deadlines = new HashMap<>();

  public HeaderDeadlines(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** A new connection: its first request head is due within the timeout. */
  public void connected(HttpConnection connection) {
    open.add(connection);
    arm(connection);
    connection.closeHandler(closed -> {
      disarm(connection);
      open.remove(connection);
    });
  }

  /** A request head arrived: no deadline while it is answered; the next one is due after. */
  public void requestArrived(RoutingContext ctx) {
    HttpConnection connection = ctx.request().connection();
    if (connection == null || !open.contains(connection)) {
      return;
    }
    disarm(connection);
    ctx.addEndHandler(ended -> {
      if (open.contains(connection)) {
        arm(connection);
      }
    });
  }

  /** Connections open now (for tests and metrics). */
  public int open() {
    return open.size();
  }

  private void arm(HttpConnection connection) {
    disarm(connection);
    deadlines.put(connection, vertx.setTimer(timeoutMs, id -> {
      deadlines.remove(connection);
      connection.close();
    }));
  }

  private void disarm(HttpConnection connection) {
    Long timer = deadlines.remove(connection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
