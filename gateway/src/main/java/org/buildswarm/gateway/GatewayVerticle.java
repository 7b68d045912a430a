package org.buildswarm.gateway;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.Map;
import java.util.logging.Logger;
import org.buildswarm.gateway.impl.ApiRoutes;
import org.buildswarm.gateway.impl.ArtifactRepository;
import org.buildswarm.gateway.impl.ArtifactRoutes;
import org.buildswarm.gateway.impl.BuildCacheRoutes;
import org.buildswarm.gateway.impl.BuildCacheStore;
import org.buildswarm.gateway.impl.Authenticator;
import org.buildswarm.gateway.impl.HeaderDeadlines;
import org.buildswarm.gateway.impl.HttpReplies;
import org.buildswarm.gateway.impl.LiveEvents;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.gateway.impl.OpenApiRoutes;
import org.buildswarm.gateway.impl.PipelineSchemaRoutes;
import org.buildswarm.gateway.impl.PrometheusText;
import org.buildswarm.gateway.impl.StatusSnapshots;
import org.buildswarm.gateway.impl.TokenRoutes;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.FindGateway;
import org.buildswarm.protocol.api.GatewayInfo;
import org.buildswarm.protocol.api.GetMetrics;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.MetricsText;
import org.buildswarm.protocol.api.SwarmStatus;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.WebhookDelivery;
import org.buildswarm.protocol.api.WebhookResult;

/**
 * The HTTP front door: the REST API, the web UI (static files from the classpath), live events
 * and health checks. Every answer about runs comes from the orchestrator over the event bus.
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(GatewayVerticle.class.getName());

  private final GatewayOptions options;
  private final LogStore logs;
  private final PrometheusMeterRegistry registry;
  private final boolean includeOrchestratorMetrics;
  /** Read when the verticle is made (off the event loop): it is a classpath resource. */
  private final OpenApiRoutes openApi = OpenApiRoutes.load();
  private final PipelineSchemaRoutes pipelineSchema = PipelineSchemaRoutes.load();
  private Router router;
  /** Uploads and unreferenced blobs younger than this are never collected (an upload may be in flight). */
  static final long RETENTION_GRACE_MS = 60 * 60 * 1000;

  private HttpServer server;
  private LiveEvents live;
  /** Closes connections that take too long to send a request head (slowloris). */
  private HeaderDeadlines headerDeadlines;
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
      + "form-action 'self'";
  private ArtifactRepository artifacts;
  private long retention = -1;
  private long snapshotTimer = -1;
  private StatusSnapshots snapshots;
  /** The status snapshot's file name in the data directory. */
  public static final String SNAPSHOT_FILE = "status-snapshot.json";

  public GatewayVerticle(GatewayOptions options, LogStore logs) {
    this(options, logs, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
  }

  /**
   * @param registry this process's metrics (served at /metrics)
   * @param includeOrchestratorMetrics add the orchestrator's metrics to /metrics (when it is another process)
   */
  public GatewayVerticle(GatewayOptions options, LogStore logs,
      PrometheusMeterRegistry registry, boolean includeOrchestratorMetrics) {
    this.options = options;
    this.logs = logs;
    this.registry = registry;
    this.includeOrchestratorMetrics = includeOrchestratorMetrics;
  }

  /** /metrics: this process's metrics and, in a swarm, the orchestrator's (the whole swarm, one target). */
  private void metrics(RoutingContext ctx) {
    String local = registry.scrape();
    Future<String> remote = !includeOrchestratorMetrics ? Future.succeededFuture("")
        : vertx.eventBus().<MetricsText>request(Addresses.METRICS,
                new GetMetrics(), new DeliveryOptions().setSendTimeout(5_000))
            .map(reply -> reply.body().text())
            .otherwise("# the orchestrator did not answer\nbuildswarm_orchestrator_up 0\n");
    remote.onComplete(result -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .end(PrometheusText.merge(java.util.List.of(local, result.result()))));
  }

  /**
   * A Git host's webhook, passed on with its raw body to the leader's work discovery, which checks
   * the signature with the project's secret (the gateway holds no secrets of projects).
   */
  private void webhook(RoutingContext ctx, String provider) {
    String prefix = provider.equals("github") ? "x-github-" : "x-gitea-";
    String signature = provider.equals("github") ? ctx.request().getHeader("x-hub-signature-256")
        : ctx.request().getHeader("x-gitea-signature");
    byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    WebhookDelivery delivery = new WebhookDelivery(provider, ctx.request().getHeader(prefix + "event"),
        ctx.request().getHeader(prefix + "delivery"), signature, body);
    vertx.eventBus().<WebhookResult>request(Addresses.WEBHOOK, delivery,
        new DeliveryOptions().setSendTimeout(options.requestTimeoutMs())).onComplete(result -> {
          if (result.succeeded()) {
            WebhookResult answer = result.result().body();
            countWebhook(provider, answer.outcome());
            HttpReplies.json(ctx, answer.outcome().equals("polling") ? 202 : 200, answer);
          } else {
            countWebhook(provider, result.cause() instanceof io.vertx.core.eventbus.ReplyException reply
                ? switch (reply.failureCode()) {
                    case 401 -> "unauthorized";
                    case 404 -> "unknown_project";
                    case 400 -> "bad_request";
                    default -> "unavailable";
                  }
                : "unavailable");
            HttpReplies.failure(ctx, result.cause());
          }
        });
  }

  /** {@code buildswarm_webhook_deliveries_total{source, result}}: what became of each delivery. */
  private void countWebhook(String provider, String result) {
    io.micrometer.core.instrument.Counter.builder("buildswarm.webhook.deliveries").tag("source", provider)
        .tag("result", result).description("Webhook deliveries received, by what became of them")
        .register(registry).increment();
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    live = new LiveEvents(vertx, options.http().maxLiveClients());
    headerDeadlines = new HeaderDeadlines(vertx, options.http().headerTimeoutMs());
    artifacts = new ArtifactRepository(options.dataDirectory().resolve("artifacts"));
    Authenticator auth = new Authenticator(vertx, options.tokenCacheMs(), options.requestTimeoutMs());
    router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response().putHeader("x-content-type-options", "nosniff")
          // The UI loads only its own files and talks only to its own origin; nobody may frame it.
          .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
          .putHeader("x-frame-options", "DENY")
          .putHeader("referrer-policy", "no-referrer");
      headerDeadlines.requestArrived(ctx);
      ctx.next();
    });
    openApi.mount(router);
    pipelineSchema.mount(router);
    ArtifactRoutes artifactRoutes = new ArtifactRoutes(vertx, auth, artifacts, options.maxArtifactBytes(),
        options.requestTimeoutMs(), registry);
    artifactRoutes.mountUploads(router);
    new BuildCacheRoutes(vertx, auth, artifacts, options.buildCache(), options.readsNeedTokenInEffect(), registry)
        .mount(router);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(options.maxBodyBytes()));
    boolean readsNeedToken = options.readsNeedTokenInEffect();
    if (readsNeedToken) {
      // After the body handler, which must see the request before anything waits (the token check does).
      // Everything under /api reads the swarm's runs, logs or artifacts: only for token holders.
      router.route("/api/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(auth.require(Role.VIEWER));
    }
    router.route("/hooks/*").handler(BodyHandler.create(false).setBodyLimit(options.maxBodyBytes()));
    for (String provider : java.util.List.of("github", "gitea")) {
      router.post("/hooks/" + provider).handler(ctx -> webhook(ctx, provider));
      router.route("/hooks/" + provider).failureHandler(ctx -> {
        countWebhook(provider, ctx.statusCode() == 413 ? "too_large" : "bad_request");
        ctx.next();
      });
    }
    router.get("/health/live").handler(ctx -> HttpReplies.json(ctx, 200, Map.of("status", "UP")));
    router.get("/metrics").handler(this::metrics);
    router.get("/health/ready").handler(ctx -> vertx.eventBus()
        .request(Addresses.STATUS, new GetStatus(), new DeliveryOptions().setSendTimeout(2_000))
        .onSuccess(reply -> {
          boolean store = reply.body() instanceof SwarmStatus status && status.storeAvailable();
          HttpReplies.json(ctx, store ? 200 : 503, Map.of("status", store ? "UP" : "DOWN", "orchestrator", "reachable",
              "store", store ? "available" : "unavailable"));
        })
        .onFailure(failure -> HttpReplies.json(ctx, 503, Map.of("status", "DOWN", "orchestrator", "unreachable"))));
    snapshots = new StatusSnapshots(vertx, options.dataDirectory().resolve(SNAPSHOT_FILE),
        Math.min(options.requestTimeoutMs(), Math.max(1_000, options.snapshotIntervalMs())));
    new ApiRoutes(vertx, auth, logs, live, snapshots, options.requestTimeoutMs()).mount(router);
    artifactRoutes.mount(router);
    new TokenRoutes(vertx, auth, options.requestTimeoutMs()).mount(router);
    router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(StaticHandler.create("webroot")
        .setCachingEnabled(false).setDirectoryListing(false).setIndexPage("index.html"));
    router.errorHandler(404, ctx -> HttpReplies.error(ctx, 404, "not_found", "nothing here: "
        + ctx.request().method() + " " + HttpReplies.shown(ctx.request().path()), null));
    router.errorHandler(405, ctx -> HttpReplies.error(ctx, 405, "method_not_allowed", ctx.request().method()
        + " is not allowed on " + HttpReplies.shown(ctx.request().path()), null));
    router.errorHandler(400, ctx -> HttpReplies.error(ctx, 400, "bad_request", "the request is malformed", null));
    router.errorHandler(413, ctx -> HttpReplies.error(ctx, 413, "payload_too_large",
        "the request body is larger than " + options.maxBodyBytes() + " bytes", null));
    router.errorHandler(500, ctx -> {
      LOG.warning("request " + ctx.request().path() + " failed: " + ctx.failure());
      HttpReplies.error(ctx, 500, "internal", "internal error", null);
    });
    // No cleartext HTTP/2 upgrade: browsers never use it, and Java's HTTP client would otherwise
    // switch uploads to HTTP/2 mid-request, which only complicates refusing a body early.
    server = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port())
        .setHttp2ClearTextEnabled(false)
        // No compression: with it in the pipeline Netty cannot sendfile() artifacts, which halved
        // download throughput (bench/gateway.sh); API answers are small and mostly on a LAN/tailnet.
        .setCompressionSupported(false)
        .setIdleTimeout((int) Math.max(1, options.http().idleTimeoutMs() / 1000))
        .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS));
    server.invalidRequestHandler(HttpReplies::invalidRequest);
    server.connectionHandler(headerDeadlines::connected);
    return vertx.executeBlocking(() -> {
          artifacts.open();
          return null;
        })
        .compose(v -> live.start())
        .compose(v -> snapshots.load())
        .compose(v -> server.requestHandler(router).listen())
        .onSuccess(s -> {
          LOG.info("gateway listening on http://" + options.host() + ":" + s.actualPort() + "/"
              + (readsNeedToken ? " (reading needs a viewer token)" : " (reading needs no token)"));
          vertx.eventBus().<FindGateway>consumer(Addresses.GATEWAY_FIND, message -> message.reply(
              new GatewayInfo(message.body().drone(), advertisedUrl())));
          retention = vertx.setPeriodic(options.retentionIntervalMs(), id -> retain());
          // An orchestrator that is away simply leaves the last snapshot in place.
          snapshotTimer = vertx.setPeriodic(0, options.snapshotIntervalMs(), id -> snapshots.capture());
        });
  }

  /** The routes, once started (the OpenAPI test compares them with the description). */
  Router router() {
    return router;
  }

  /** The URL others in the swarm reach this gateway at. */
  public String advertisedUrl() {
    return options.advertisedUrl() != null ? options.advertisedUrl()
        : "http://" + options.host() + ":" + server.actualPort() + "/";
  }

  /** One retention pass over the build cache and then the artifact repository, off the event loop. */
  public Future<ArtifactRepository.Retained> retain() {
    return vertx.executeBlocking(() -> {
      BuildCacheStore.Dropped dropped = artifacts.buildCache().retain(options.buildCache().unusedForMs(),
          options.buildCache().maxTotalBytes());
      if (dropped.entries() > 0) {
        LOG.info("build cache retention: " + dropped.entries() + " entr" + (dropped.entries() == 1 ? "y" : "ies") + " ("
            + dropped.bytes() + " bytes) dropped");
      }
      return artifacts.retain(options.artifactVersionsKept(), RETENTION_GRACE_MS);
    }, false)
        .onSuccess(done -> {
          if (done.versionsDeleted() + done.blobsDeleted() + done.uploadsAbandoned() > 0) {
            LOG.info("artifact retention: " + done.versionsDeleted() + " version(s), " + done.blobsDeleted() + " blob(s) ("
                + done.bytesFreed() + " bytes), " + done.uploadsAbandoned() + " abandoned upload(s) removed");
          }
        })
        .onFailure(failure -> LOG.warning("artifact retention failed: " + failure));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(retention);
    vertx.cancelTimer(snapshotTimer);
    return live.stop().eventually(() -> server == null ? Future.succeededFuture() : server.close());
  }
}
