package org.buildswarm.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.ArtifactPublished;
import org.buildswarm.protocol.api.RunEvent;

/**
 * Server-Sent Events: every {@link RunEvent} the orchestrator publishes, optionally for one run, and
 * every artifact published (as {@code artifact.published}, to clients watching everything),
 * with a comment every few seconds so proxies keep the stream open and clients notice a dead one.
 * One event-bus subscription per gateway fans out to all clients, held only while a client is
 * connected (so a gateway nobody watches does not decode every event of a busy swarm); a client too
 * slow to keep up is disconnected rather than buffered without bound. Used on one context only.
 */
public final class LiveEvents {
  private static final long KEEPALIVE_MS = 15_000;
  private static final int MAX_QUEUED_BYTES = 4 * 1024 * 1024;

  private final Vertx vertx;
  private final Set<Client> clients = new HashSet<>();
  private MessageConsumer<RunEvent> consumer;
  private MessageConsumer<ArtifactPublished> artifactConsumer;
  private long keepalive = -1;

  private record Client(HttpServerResponse response, Long run) {}

  private final int maxClients;

  /** @param maxClients streams open at once; more are answered 503 */
  public LiveEvents(Vertx vertx, int maxClients) {
    this.vertx = vertx;
    this.maxClients = maxClients;
  }

  public Future<Void> start() {
    keepalive = vertx.setPeriodic(KEEPALIVE_MS, id -> {
      for (Client client : Set.copyOf(clients)) {
        client.response().write(": keepalive\n\n");
      }
    });
    return Future.succeededFuture();
  }

  private void subscribeIfWatched() {
    if (!clients.isEmpty() && consumer == null) {
      consumer = vertx.eventBus().consumer(Addresses.RUN_EVENTS, message -> broadcast(message.body()));
      artifactConsumer = vertx.eventBus().consumer(Addresses.ARTIFACT_EVENTS,
          message -> broadcast(null, "artifact.published", message.body()));
    } else if (clients.isEmpty() && consumer != null) {
      consumer.unregister();
      artifactConsumer.unregister();
      consumer = null;
      artifactConsumer = null;
    }
  }

  public Future<Void> stop() {
    vertx.cancelTimer(keepalive);
    for (Client client : Set.copyOf(clients)) {
      client.response().end();
    }
    clients.clear();
    MessageConsumer<RunEvent> subscribed = consumer;
    MessageConsumer<ArtifactPublished> artifactsSubscribed = artifactConsumer;
    consumer = null;
    artifactConsumer = null;
    return subscribed == null ? Future.succeededFuture()
        : Future.all(subscribed.unregister(), artifactsSubscribed.unregister()).mapEmpty();
  }

  /** Clients connected now. */
  public int clients() {
    return clients.size();
  }

  public void stream(RoutingContext ctx) {
    Long runFilter = null;
    String run = ctx.request().getParam("run");
    if (run != null) {
      try {
        runFilter = Long.parseLong(run);
      } catch (NumberFormatException e) {
        HttpReplies.error(ctx, 400, "bad_request", "run must be a run id", null);
        return;
      }
    }
    if (clients.size() >= maxClients) {
      ctx.response().putHeader("retry-after", "10");
      HttpReplies.error(ctx, 503, "too_many_streams", "this gateway serves " + maxClients + " live-event streams at"
          + " once, and all are taken; try again shortly", null);
      return;
    }
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .putHeader("x-accel-buffering", "no")
        .putHeader("content-encoding", "identity"); // compression would hold events back
    response.setWriteQueueMaxSize(MAX_QUEUED_BYTES);
    Client client = new Client(response, runFilter);
    clients.add(client);
    response.closeHandler(v -> {
      clients.remove(client);
      subscribeIfWatched();
    });
    subscribeIfWatched();
    // Tell the client it is connected once the subscription is in place, so it misses nothing after.
    consumer.completion().onComplete(done -> {
      if (clients.contains(client)) {
        response.write(": connected\nretry: 2000\n\n");
      }
    });
  }

  private void broadcast(RunEvent event) {
    // A kind newer than this gateway (a rolling upgrade) still reaches clients, under a name of its own.
    broadcast(event.runId(), event.type() == null ? "event" : event.type().wire(), event);
  }

  /** Sends one event to every client watching it; events of no run go only to clients watching everything. */
  private void broadcast(Long runId, String type, Object event) {
    String frame = null;
    for (Client client : Set.copyOf(clients)) {
      if (client.run() != null && !client.run().equals(runId)) {
        continue;
      }
      if (client.response().writeQueueFull()) {
        clients.remove(client);
        client.response().reset();
        subscribeIfWatched();
        continue;
      }
      if (frame == null) {
        frame = "event: " + type + "\ndata: " + ProtocolJson.toJson(event) + "\n\n";
      }
      client.response().write(frame);
    }
  }
}
