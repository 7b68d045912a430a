package org.buildswarm.gateway.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.gateway.GatewayOptions.BuildCacheLimits;
import org.buildswarm.protocol.ArtifactNames;
import org.buildswarm.protocol.api.Role;

/**
 * The remote build cache for the build tools people already use, on the artifact repository's
 * content-addressed blobs:
 * <ul>
 *   <li>Turborepo's remote cache API under {@code /v8/artifacts} (bearer token; the team from
 *       {@code teamId} or {@code slug} is the namespace): {@code TURBO_API=<gateway> TURBO_TOKEN=…
 *       TURBO_TEAM=…};
 *   <li>Gradle's HTTP build cache, {@code GET/PUT /cache/{key}} (the token as the password of
 *       Basic credentials, any user name): {@code buildCache { remote(HttpBuildCache) { url =
 *       "<gateway>/cache/" } }};
 *   <li>Maven's build cache extension ({@code org.apache.maven.extensions:maven-build-cache-extension}),
 *       {@code GET/HEAD/PUT /maven-cache/{path}}: its remote {@code <url>} is {@code <gateway>/maven-cache}
 *       and the token is the password of the {@code settings.xml} server whose id is the remote's id.
 *       The extension names entries by paths ({@code v1.1/<group>/<artifact>/<checksum>/buildinfo.xml});
 *       a path's SHA-256 is its key.
 * </ul>
 * Reads need a viewer token where the gateway's reads do; writes a developer token or the job
 * token of a running attempt. A missing or damaged entry is a miss, never an error.
 */
public final class BuildCacheRoutes {
  private static final Logger LOG = Logger.getLogger(BuildCacheRoutes.class.getName());
  static final String TURBO = "turbo";
  static final String GRADLE = "gradle";
  static final String MAVEN = "maven";
  private static final String MAVEN_PREFIX = "/maven-cache/";
  /** Deeper than any path the extension writes ({@code v1.1/group/artifact/checksum/file}), shallow enough to refuse junk. */
  private static final int MAVEN_MAX_SEGMENTS = 8;
  /** Results of pipeline jobs that declare {@code cache:}, one namespace per project. */
  static final String JOBS = "jobs";
  private static final String DEFAULT_NAMESPACE = "default";

  private final Vertx vertx;
  private final Authenticator auth;
  private final ArtifactRepository repository;
  private final BuildCacheStore cache;
  private final BuildCacheLimits limits;
  private final boolean readsNeedToken;
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public BuildCacheRoutes(Vertx vertx, Authenticator auth, ArtifactRepository repository, BuildCacheLimits limits,
      boolean readsNeedToken, MeterRegistry registry) {
    this.vertx = vertx;
    this.auth = auth;
    this.repository = repository;
    this.cache = repository.buildCache();
    this.limits = limits;
    this.readsNeedToken = readsNeedToken;
    this.registry = registry;
    for (String tool : TOOLS) {
      for (String result : new String[] {"hit", "miss", "stored"}) {
        requests(tool, result);
      }
      bytes(tool, "served");
      bytes(tool, "stored");
      saved(tool);
    }
  }

  private static final String[] TOOLS = {JOBS, TURBO, GRADLE, MAVEN};

  /** Mounts every route; the tools' paths are outside {@code /api}, so no body handler has read them. */
  public void mount(Router router) {
    // For people (the overview): what the cache holds and how often it saved a build. Mounted before
    // the API's own token check, so it makes its own (without the Basic challenge a browser would prompt for).
    router.get("/api/v1/build-cache").handler(readsNeedToken ? auth.require(Role.VIEWER) : RoutingContext::next)
        .handler(this::summary);

    Handler<RoutingContext> read = readsNeedToken ? auth.requireForBuildTools(Role.VIEWER) : RoutingContext::next;
    Handler<RoutingContext> write = auth.requireForBuildTools(Role.DEVELOPER);

    // Turborepo (https://turborepo.com/docs/core-concepts/remote-caching#self-hosting).
    router.get("/v8/artifacts/status").handler(read).handler(ctx -> HttpReplies.json(ctx, 200, Map.of("status", "enabled")));
    router.put("/v8/artifacts/:hash").handler(ArtifactRoutes::holdBody).handler(write).handler(ctx -> {
      Long duration = longHeader(ctx, "x-artifact-duration");
      String tag = ctx.request().getHeader("x-artifact-tag");
      if (tag != null && tag.length() > 600) {
        HttpReplies.error(ctx, 400, "bad_request", "x-artifact-tag is longer than 600 characters", null);
        return;
      }
      turboNamespace(ctx).ifPresent(team -> store(ctx, TURBO, team, ctx.pathParam("hash"), duration, tag, entry ->
          HttpReplies.json(ctx, 202, Map.of("urls", java.util.List.of("/v8/artifacts/" + entry.key())))));
    });
    router.route("/v8/artifacts/:hash").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(read)
        .handler(ctx -> turboNamespace(ctx).ifPresent(team -> serve(ctx, TURBO, team, ctx.pathParam("hash"))));
    router.post("/v8/artifacts").handler(BodyHandler.create(false).setBodyLimit(256 * 1024)).handler(read)
        .handler(this::turboQuery);
    // Turborepo reports hits and misses it saw; what we count ourselves is what we keep.
    router.post("/v8/artifacts/events").handler(BodyHandler.create(false).setBodyLimit(256 * 1024)).handler(read)
        .handler(ctx -> HttpReplies.json(ctx, 200, Map.of()));

    // Jobs' results, for their drones: only a running attempt's token, and only its own project's
    // entries; what made an entry is what the token says, not what the request claims.
    Handler<RoutingContext> job = auth.requireJobToken();
    router.route("/api/v1/job-cache/:key").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(job)
        .handler(ctx -> serve(ctx, JOBS, jobNamespace(ctx), ctx.pathParam("key")));
    router.put("/api/v1/job-cache/:key").handler(ArtifactRoutes::holdBody).handler(job).handler(ctx -> {
      org.buildswarm.protocol.api.JobTokenInfo attempt = ctx.get(Authenticator.JOB);
      store(ctx, JOBS, jobNamespace(ctx), ctx.pathParam("key"), longHeader(ctx, "x-artifact-duration"), null,
          attempt.runId(), attempt.jobName(), entry -> HttpReplies.json(ctx, 201, Map.of("key", entry.key())));
    });

    // Gradle (https://docs.gradle.org/current/userguide/build_cache.html#sec:build_cache_configure_remote).
    router.route("/cache/:key").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(read)
        .handler(ctx -> serve(ctx, GRADLE, DEFAULT_NAMESPACE, ctx.pathParam("key")));
    router.put("/cache/:key").handler(ArtifactRoutes::holdBody).handler(write).handler(ctx ->
        store(ctx, GRADLE, DEFAULT_NAMESPACE, ctx.pathParam("key"), null, null,
            entry -> ctx.response().setStatusCode(201).end()));

    // Maven (https://maven.apache.org/extensions/maven-build-cache-extension/remote-cache.html).
    router.route(MAVEN_PREFIX + "*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(read)
        .handler(ctx -> mavenKey(ctx).ifPresent(key -> serve(ctx, MAVEN, DEFAULT_NAMESPACE, key)));
    router.put(MAVEN_PREFIX + "*").handler(ArtifactRoutes::holdBody).handler(write).handler(ctx ->
        mavenKey(ctx).ifPresent(key -> store(ctx, MAVEN, DEFAULT_NAMESPACE, key, null, null,
            entry -> ctx.response().setStatusCode(201).end())));
  }

  /**
   * The key of the entry a Maven path names: the SHA-256 of the path, so nested paths fit the flat
   * store. Every segment must be a plain name; anything else is answered 400 (a bad request, not a miss).
   */
  private static Optional<String> mavenKey(RoutingContext ctx) {
    // The path as sent, not as normalised: "a//b" or "%2e%2e" must not become another entry's name.
    String path = ctx.request().path();
    String relative = path.startsWith(MAVEN_PREFIX) ? path.substring(MAVEN_PREFIX.length()) : "";
    String[] segments = relative.split("/", -1);
    boolean plain = !relative.isEmpty() && segments.length <= MAVEN_MAX_SEGMENTS;
    for (int i = 0; plain && i < segments.length; i++) {
      plain = ArtifactNames.isSegment(segments[i]);
    }
    if (!plain) {
      HttpReplies.error(ctx, 400, "bad_request", "a Maven cache path is 1 to " + MAVEN_MAX_SEGMENTS + " names "
          + "separated by '/', each starting with a letter or digit and holding only letters, digits, '.', '_', '+' "
          + "and '-' (at most 128): \"" + HttpReplies.shown(relative) + "\"", null);
      return Optional.empty();
    }
    return Optional.of(org.buildswarm.protocol.Secrets.sha256Hex(relative));
  }

  private void serve(RoutingContext ctx, String tool, String namespace, String key) {
    if (!validKey(ctx, key)) {
      return;
    }
    vertx.executeBlocking(() -> cache.find(tool, namespace, key), false).onComplete(found -> {
      if (found.failed()) {
        LOG.log(Level.WARNING, "build cache read of " + tool + "/" + namespace + "/" + key + " failed", found.cause());
        requests(tool, "miss").increment();
        HttpReplies.error(ctx, 404, "not_found", "no cache entry " + key + " (the cache could not be read)", null);
        return;
      }
      if (found.result().isEmpty()) {
        requests(tool, "miss").increment();
        HttpReplies.error(ctx, 404, "not_found", "no cache entry " + key, null);
        return;
      }
      BuildCacheStore.Entry entry = found.result().get();
      requests(tool, "hit").increment();
      HttpServerResponse response = ctx.response().putHeader("content-type", "application/octet-stream")
          .putHeader("content-encoding", "identity")
          .putHeader("cache-control", "no-store")
          .putHeader("etag", "\"" + entry.sha256() + "\"");
      if (entry.durationMs() != null) {
        response.putHeader("x-artifact-duration", Long.toString(entry.durationMs()));
      }
      if (entry.tag() != null) {
        response.putHeader("x-artifact-tag", entry.tag());
      }
      if (entry.run() != null) {
        response.putHeader("x-buildswarm-run", Long.toString(entry.run()));
      }
      if (entry.job() != null) {
        response.putHeader("x-buildswarm-job", java.net.URLEncoder.encode(entry.job(), java.nio.charset.StandardCharsets.UTF_8));
      }
      if (entry.durationMs() != null && ctx.request().method() == HttpMethod.GET) {
        saved(tool).increment(entry.durationMs() / 1000.0); // a HEAD only asks; a GET takes the result instead of building it
      }
      if (ctx.request().method() == HttpMethod.HEAD) {
        response.putHeader("content-length", Long.toString(entry.size())).end();
        return;
      }
      response.sendFile(cache.blob(entry).toString()).onComplete(sent -> {
        if (sent.succeeded()) {
          bytes(tool, "served").increment(entry.size());
        } else {
          LOG.log(Level.FINE, "build cache download of " + key + " broke off", sent.cause());
        }
      });
    });
  }

  private void store(RoutingContext ctx, String tool, String namespace, String key, Long durationMs, String tag,
      java.util.function.Consumer<BuildCacheStore.Entry> answer) {
    store(ctx, tool, namespace, key, durationMs, tag, null, null, answer);
  }

  private void store(RoutingContext ctx, String tool, String namespace, String key, Long durationMs, String tag,
      Long run, String job, java.util.function.Consumer<BuildCacheStore.Entry> answer) {
    if (!validKey(ctx, key)) {
      return;
    }
    String by = Authenticator.principalName(ctx);
    StreamedUpload.receive(vertx, ctx.request(), repository.newUpload(), limits.maxEntryBytes(), null, "the cache entry")
        .compose(upload -> vertx.executeBlocking(() -> cache.put(upload.file(), upload.sha256(), upload.size(), tool,
            namespace, key, by, durationMs, tag, run, job), false))
        .onSuccess(entry -> {
          requests(tool, "stored").increment();
          bytes(tool, "stored").increment(entry.size());
          answer.accept(entry);
        })
        .onFailure(failure -> {
          if (failure instanceof StreamedUpload.Refused refused) {
            refused.answer(ctx);
          } else {
            LOG.log(Level.WARNING, "build cache write of " + tool + "/" + namespace + "/" + key + " failed", failure);
            HttpReplies.error(ctx, 500, "internal", "the build cache could not store the entry: " + failure.getMessage(),
                null);
          }
        });
  }

  /** How long a count of the cache's entries (a walk of its directory) is reused. */
  private static final long SIZE_CACHE_MS = 30_000;
  private volatile BuildCacheStore.Dropped held;
  private volatile long heldAt;

  private void summary(RoutingContext ctx) {
    long now = System.currentTimeMillis();
    io.vertx.core.Future<BuildCacheStore.Dropped> size = held != null && now - heldAt < SIZE_CACHE_MS
        ? io.vertx.core.Future.succeededFuture(held)
        : vertx.executeBlocking(cache::size, false).onSuccess(counted -> {
          held = counted;
          heldAt = now;
        });
    size.onComplete(counted -> {
      Map<String, Object> tools = new LinkedHashMap<>();
      double hits = 0;
      double misses = 0;
      double served = 0;
      double savedSeconds = 0;
      for (String tool : TOOLS) {
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("hits", (long) requests(tool, "hit").count());
        counts.put("misses", (long) requests(tool, "miss").count());
        counts.put("stored", (long) requests(tool, "stored").count());
        counts.put("bytesServed", (long) bytes(tool, "served").count());
        counts.put("bytesStored", (long) bytes(tool, "stored").count());
        counts.put("savedSeconds", saved(tool).count());
        tools.put(tool, counts);
        savedSeconds += saved(tool).count();
        hits += requests(tool, "hit").count();
        misses += requests(tool, "miss").count();
        served += bytes(tool, "served").count();
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("entries", counted.succeeded() ? counted.result().entries() : null);
      body.put("bytes", counted.succeeded() ? counted.result().bytes() : null);
      body.put("hitRate", hits + misses == 0 ? null : hits / (hits + misses));
      body.put("bytesServed", (long) served);
      body.put("savedSeconds", savedSeconds);
      body.put("tools", tools);
      HttpReplies.json(ctx, 200, body);
    });
  }

  /** Which artifacts of a list the cache holds: Turborepo's {@code POST /v8/artifacts}. */
  private void turboQuery(RoutingContext ctx) {
    JsonArray hashes;
    try {
      hashes = ctx.body().asJsonObject().getJsonArray("hashes");
    } catch (RuntimeException e) {
      hashes = null;
    }
    if (hashes == null || hashes.size() > 1_000) {
      HttpReplies.error(ctx, 400, "bad_request", "send {\"hashes\": [\"…\", …]} (at most 1000)", null);
      return;
    }
    JsonArray asked = hashes;
    turboNamespace(ctx).ifPresent(team -> vertx.executeBlocking(() -> {
      Map<String, Object> answer = new LinkedHashMap<>();
      for (Object hash : asked) {
        String key = String.valueOf(hash);
        Optional<BuildCacheStore.Entry> entry = ArtifactNames.isSegment(key) ? cache.find(TURBO, team, key) : Optional.empty();
        answer.put(key, entry.<Object>map(found -> {
          Map<String, Object> info = new LinkedHashMap<>();
          info.put("size", found.size());
          if (found.durationMs() != null) {
            info.put("taskDurationMs", found.durationMs());
          }
          if (found.tag() != null) {
            info.put("tag", found.tag());
          }
          return info;
        }).orElse(Map.of("error", Map.of("message", "not found"))));
      }
      return answer;
    }, false).onComplete(done -> {
      if (done.failed()) {
        HttpReplies.failure(ctx, done.cause());
      } else {
        HttpReplies.json(ctx, 200, done.result());
      }
    }));
  }

  /** The Turborepo team a request names (its cache is the team's own), answered 400 when malformed. */
  private static Optional<String> turboNamespace(RoutingContext ctx) {
    String team = ctx.request().getParam("teamId");
    if (team == null || team.isBlank()) {
      team = ctx.request().getParam("slug");
    }
    if (team == null || team.isBlank()) {
      return Optional.of(DEFAULT_NAMESPACE);
    }
    if (!ArtifactNames.isSegment(team)) {
      HttpReplies.error(ctx, 400, "bad_request", "the team \"" + HttpReplies.shown(team) + "\" must start with a letter "
          + "or digit and hold only letters, digits, '.', '_', '+' and '-' (at most 128)", null);
      return Optional.empty();
    }
    return Optional.of(team);
  }

  /** A project's own namespace: its name with '+' for '/' (no part of a name holds a '+'). */
  private static String jobNamespace(RoutingContext ctx) {
    org.buildswarm.protocol.api.JobTokenInfo attempt = ctx.get(Authenticator.JOB);
    return attempt.project().replace('/', '+');
  }

  private static boolean validKey(RoutingContext ctx, String key) {
    if (ArtifactNames.isSegment(key)) {
      return true;
    }
    HttpReplies.error(ctx, 400, "bad_request", "a cache key must start with a letter or digit and hold only letters, "
        + "digits, '.', '_', '+' and '-' (at most 128)", null);
    return false;
  }

  private static Long longHeader(RoutingContext ctx, String name) {
    try {
      String value = ctx.request().getHeader(name);
      return value == null ? null : Long.valueOf(value.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private Counter requests(String tool, String result) {
    return counters.computeIfAbsent(tool + "/" + result, k -> Counter.builder("buildswarm.build.cache.requests")
        .tag("tool", tool).tag("result", result)
        .description("Remote build cache reads (hit, miss) and writes (stored), by tool").register(registry));
  }

  private Counter saved(String tool) {
    return counters.computeIfAbsent(tool + "/saved", k -> Counter.builder("buildswarm.build.cache.saved.seconds")
        .tag("tool", tool)
        .description("Build time the cache's hits saved: what the reused results took to make, by tool")
        .register(registry));
  }

  private Counter bytes(String tool, String direction) {
    return counters.computeIfAbsent(tool + "/bytes/" + direction, k -> Counter.builder("buildswarm.build.cache.bytes")
        .tag("tool", tool).tag("direction", direction)
        .description("Remote build cache bytes served from the cache and stored into it").register(registry));
  }
}
