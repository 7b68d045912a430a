package org.buildswarm.gateway;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.Map;
import java.util.logging.Logger;
import org.buildswarm.gateway.impl.ApiRoutes;
import org.buildswarm.gateway.impl.Authenticator;
import org.buildswarm.gateway.impl.HttpReplies;
import org.buildswarm.gateway.impl.LiveEvents;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.GetStatus;

/**
 * The HTTP front door: the REST API, the web UI (static files from the classpath), live events
 * and health checks. Every answer about runs comes from the orchestrator over the event bus.
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(GatewayVerticle.class.getName());

  private final GatewayOptions options;
  private final LogStore logs;
  private HttpServer server;
  private LiveEvents live;

  public GatewayVerticle(GatewayOptions options, LogStore logs) {
    this.options = options;
    this.logs = logs;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    live = new LiveEvents(vertx);
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response().putHeader("x-content-type-options", "nosniff");
      ctx.next();
    });
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(options.maxBodyBytes()));
    router.get("/health/live").handler(ctx -> HttpReplies.json(ctx, 200, Map.of("status", "UP")));
    router.get("/health/ready").handler(ctx -> vertx.eventBus()
        .request(Addresses.STATUS, new GetStatus(), new DeliveryOptions().setSendTimeout(2_000))
        .onSuccess(reply -> {
          boolean store = reply.body() instanceof org.buildswarm.protocol.api.SwarmStatus status && status.storeAvailable();
          HttpReplies.json(ctx, store ? 200 : 503, Map.of("status", store ? "UP" : "DOWN", "orchestrator", "reachable",
              "store", store ? "available" : "unavailable"));
        })
        .onFailure(failure -> HttpReplies.json(ctx, 503, Map.of("status", "DOWN", "orchestrator", "unreachable"))));
    Authenticator auth = new Authenticator(vertx, options.tokenCacheMs(), options.requestTimeoutMs());
    new ApiRoutes(vertx, auth, logs, live, options.requestTimeoutMs()).mount(router);
    router.route("/api/*").handler(ctx -> HttpReplies.error(ctx, 404, "not_found", "no such API: "
        + ctx.request().method() + " " + ctx.request().path(), null));
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false).setDirectoryListing(false)
        .setIndexPage("index.html"));
    router.errorHandler(413, ctx -> HttpReplies.error(ctx, 413, "payload_too_large",
        "the request body is larger than " + options.maxBodyBytes() + " bytes", null));
    router.errorHandler(500, ctx -> {
      LOG.warning("request " + ctx.request().path() + " failed: " + ctx.failure());
      HttpReplies.error(ctx, 500, "internal", "internal error", null);
    });
    server = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port())
        .setCompressionSupported(true));
    return live.start()
        .compose(v -> server.requestHandler(router).listen())
        .onSuccess(s -> LOG.info("gateway listening on http://" + options.host() + ":" + s.actualPort() + "/"));
  }

  @Override
  public Future<?> stop() {
    return live.stop().eventually(() -> server == null ? Future.succeededFuture() : server.close());
  }
}
