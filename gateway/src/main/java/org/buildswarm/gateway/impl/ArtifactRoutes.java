package org.buildswarm.gateway.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.ArtifactPublished;
import org.buildswarm.protocol.api.ArtifactVersion;
import org.buildswarm.protocol.api.ChannelMove;
import org.buildswarm.protocol.api.JobTokenInfo;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.VerifyJobToken;

/**
 * The artifact repository over HTTP under {@code /api/v1/artifacts}: streaming uploads (hashed and
 * counted as they arrive, never held in memory, refused past the size limit), downloads with
 * Range and ETag, channel moves, and uploads from jobs under {@code /api/v1/jobs/:job/artifacts}
 * with the attempt's job token. Mount before the body handler: uploads read the request themselves.
 */
public final class ArtifactRoutes {
  private static final Logger LOG = Logger.getLogger(ArtifactRoutes.class.getName());
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
  /** A job's artifacts move this channel when they are published. */
  public static final String LATEST = "latest";

  private final Vertx vertx;
  private final Authenticator auth;
  private final ArtifactRepository repository;
  private final long maxBytes;
  private final DeliveryOptions delivery;
  private final Counter uploaded;
  private final Counter downloaded;

  public ArtifactRoutes(Vertx vertx, Authenticator auth, ArtifactRepository repository, long maxBytes, long timeoutMs,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.auth = auth;
    this.repository = repository;
    this.maxBytes = maxBytes;
    this.delivery = new DeliveryOptions().setSendTimeout(timeoutMs);
    this.uploaded = Counter.builder("buildswarm.artifact.bytes").tag("direction", "upload")
        .description("Artifact bytes received and sent").register(registry);
    this.downloaded = Counter.builder("buildswarm.artifact.bytes").tag("direction", "download")
        .description("Artifact bytes received and sent").register(registry);
  }

  private static final String ARTIFACT = "/api/v1/artifacts/:project/:name";

  /** The upload routes: mount them before any body handler, since they read the body themselves. */
  public void mountUploads(Router router) {
    // Paused until authorised, then streamed to disk by receive().
    router.put(ARTIFACT + "/versions/:version").handler(ArtifactRoutes::holdBody).handler(auth.require(Role.DEVELOPER))
        .handler(this::uploadByPerson);
    router.put("/api/v1/jobs/:job/artifacts/:name").handler(ArtifactRoutes::holdBody).handler(this::uploadByJob);
  }

  /** Everything else (reads, channel moves, deletes); after the body handler. */
  public void mount(Router router) {
    String artifact = ARTIFACT;

    router.get("/api/v1/artifacts").handler(ctx -> blocking(ctx, () -> Map.of("projects", repository.projects())));
    router.get("/api/v1/artifacts/:project").handler(ctx -> blocking(ctx, () -> project(ctx.pathParam("project"))));
    router.get(artifact).handler(ctx -> blocking(ctx, () -> {
      String project = ctx.pathParam("project");
      String name = ctx.pathParam("name");
      List<ArtifactVersion> versions = repository.versions(project, name);
      if (versions.isEmpty()) {
        throw new ArtifactRepository.NotFound("no artifact " + project + "/" + name);
      }
      int limit = (int) Math.max(1, Math.min(1000, longParam(ctx, "limit", 100)));
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("project", project);
      body.put("name", name);
      body.put("channels", repository.channels(project, name));
      body.put("versions", versions.subList(0, Math.min(limit, versions.size())));
      body.put("totalVersions", versions.size());
      return body;
    }));
    router.get(artifact + "/versions/:version").handler(ctx -> blocking(ctx, () -> versionOf(ctx)));
    router.route(artifact + "/versions/:version/content").method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(ctx -> lookUp(ctx, () -> versionOf(ctx)).onSuccess(version -> download(ctx, version, true)));
    router.get(artifact + "/channels/:channel").handler(ctx -> blocking(ctx, () -> {
      String project = ctx.pathParam("project");
      String name = ctx.pathParam("name");
      String channel = ctx.pathParam("channel");
      ChannelMove current = repository.channel(project, name, channel)
          .orElseThrow(() -> new ArtifactRepository.NotFound(project + "/" + name + " has no channel " + channel));
      return Map.of("current", current, "history", repository.history(project, name, channel));
    }));
    router.route(artifact + "/channels/:channel/content").method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(ctx -> lookUp(ctx, () -> {
          String project = ctx.pathParam("project");
          String name = ctx.pathParam("name");
          ChannelMove current = repository.channel(project, name, ctx.pathParam("channel"))
              .orElseThrow(() -> new ArtifactRepository.NotFound(project + "/" + name + " has no channel "
                  + ctx.pathParam("channel")));
          return repository.version(project, name, current.version())
              .orElseThrow(() -> new ArtifactRepository.NotFound("the channel points to a missing version"));
        }).onSuccess(version -> download(ctx, version, false)));
    router.put(artifact + "/channels/:channel").handler(auth.require(Role.DEVELOPER)).handler(this::moveChannel);
    router.delete(artifact + "/versions/:version").handler(auth.require(Role.ADMIN)).handler(ctx -> blocking(ctx, () ->
        repository.delete(ctx.pathParam("project"), ctx.pathParam("name"), ctx.pathParam("version"))));
  }

  /**
   * Stops the body from flowing until a handler is ready for it. An answer given before the body
   * was read (refused, too large) closes the connection once written: the rest of that body must
   * not be taken for a next request, and the client must not be left sending it into a paused socket.
   */
  static void holdBody(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    boolean http2 = request.version() == io.vertx.core.http.HttpVersion.HTTP_2;
    ctx.addHeadersEndHandler(v -> {
      if (!request.isEnded() && !http2) {
        ctx.response().putHeader("connection", "close");
      }
    });
    ctx.addBodyEndHandler(v -> {
      if (!request.isEnded()) {
        if (http2) {
          // RFC 9113 §8.1: a complete response, then RST_STREAM(NO_ERROR) asks the client to stop sending.
          ctx.response().reset(0);
        } else {
          lingeringClose(ctx);
        }
      }
    });
    ctx.next();
  }

  /** How long the rest of a refused body is read and dropped before the connection is closed. */
  private static final long LINGER_MS = 5_000;

  /**
   * Closes a connection whose request body was answered before it was read, once the client has
   * read the answer: closing with unread bytes makes the kernel send a reset, which can destroy the
   * answer in the client's buffers before it is read (the client sees no response at all). So the
   * rest of the body is read and dropped until it ends, or for at most {@link #LINGER_MS} (nginx's
   * lingering close): a client that sends forever is still cut off.
   */
  private static void lingeringClose(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    io.vertx.core.http.HttpConnection connection = request.connection();
    long timer = ctx.vertx().setTimer(LINGER_MS, id -> connection.close());
    Runnable close = () -> {
      ctx.vertx().cancelTimer(timer);
      connection.close();
    };
    request.handler(dropped -> { });
    request.exceptionHandler(error -> close.run());
    request.endHandler(end -> close.run());
    request.resume();
  }

  private Map<String, Object> project(String project) throws Exception {
    List<Map<String, Object>> artifacts = new ArrayList<>();
    for (String name : repository.artifacts(project)) {
      List<ArtifactVersion> versions = repository.versions(project, name);
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("name", name);
      summary.put("versions", versions.size());
      summary.put("newest", versions.isEmpty() ? null : versions.get(0));
      summary.put("channels", repository.channels(project, name));
      artifacts.add(summary);
    }
    if (artifacts.isEmpty()) {
      throw new ArtifactRepository.NotFound("no artifacts in project " + project);
    }
    return Map.of("project", project, "artifacts", artifacts);
  }

  private ArtifactVersion versionOf(RoutingContext ctx) throws Exception {
    String project = ctx.pathParam("project");
    String name = ctx.pathParam("name");
    String version = ctx.pathParam("version");
    return repository.version(project, name, version)
        .orElseThrow(() -> new ArtifactRepository.NotFound(project + "/" + name + " has no version " + version));
  }

  // ---- uploads ----------------------------------------------------------------------------------

  private void uploadByPerson(RoutingContext ctx) {
    String channel = ctx.request().getParam("channel");
    receive(ctx, ctx.pathParam("project"), ctx.pathParam("name"), ctx.pathParam("version"), channel,
        Authenticator.principalName(ctx), null, null);
  }

  private void uploadByJob(RoutingContext ctx) {
    String header = ctx.request().getHeader("authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      HttpReplies.error(ctx, 401, "unauthorized", "a job uploads with its job token: Authorization: Bearer <job token>", null);
      return;
    }
    vertx.eventBus().<JobTokenInfo>request(Addresses.JOB_TOKEN_VERIFY, new VerifyJobToken(header.substring(7).trim()),
        delivery).onComplete(verified -> {
          if (verified.failed()) {
            if (verified.cause() instanceof ReplyException reply && reply.failureCode() == 401) {
              HttpReplies.error(ctx, 401, "unauthorized", reply.getMessage(), null);
            } else {
              HttpReplies.failure(ctx, verified.cause());
            }
            return;
          }
          JobTokenInfo job = verified.result().body();
          String name = ctx.pathParam("name");
          if (!String.valueOf(job.jobId()).equals(ctx.pathParam("job"))) {
            HttpReplies.error(ctx, 403, "forbidden", "this job token is for job " + job.jobId(), null);
          } else if (!job.artifacts().contains(name)) {
            HttpReplies.error(ctx, 403, "forbidden", "job \"" + job.jobName() + "\" does not declare an artifact named \""
                + name + "\"", null);
          } else {
            receive(ctx, job.project(), name, job.runId() + "." + job.attempt(), LATEST,
                "job " + job.jobId() + " (" + job.jobName() + ")", job.runId(), job.jobId());
          }
        });
  }

  /** Streams the body to a temp file, hashing and counting it, then stores it as the version. */
  private void receive(RoutingContext ctx, String project, String name, String version, String channel, String by,
      Long runId, Long jobId) {
    HttpServerRequest request = ctx.request();
    String expected = request.getHeader("x-checksum-sha256");
    expected = expected == null ? null : expected.trim().toLowerCase(Locale.ROOT);
    if (expected == null || !SHA256.matcher(expected).matches()) {
      HttpReplies.error(ctx, 400, "bad_request", "send the file's SHA-256 (64 hex digits) in X-Checksum-SHA256", null);
      return;
    }
    try {
      List.of(project, name, version).forEach(segment -> {
        if (!org.buildswarm.protocol.ArtifactNames.isSegment(segment)) {
          throw new ArtifactRepository.BadName("\"" + segment + "\" must start with a letter or digit and hold only "
              + "letters, digits, '.', '_', '+' and '-' (at most 128)");
        }
      });
      if (channel != null && !org.buildswarm.protocol.ArtifactNames.isSegment(channel)) {
        throw new ArtifactRepository.BadName("channel \"" + channel + "\" is not a valid name");
      }
    } catch (ArtifactRepository.BadName e) {
      HttpReplies.error(ctx, 400, "bad_request", e.getMessage(), null);
      return;
    }
    StreamedUpload.receive(vertx, request, repository.newUpload(), maxBytes, expected, "the artifact")
        .onFailure(failure -> {
          if (failure instanceof StreamedUpload.Refused refused) {
            refused.answer(ctx);
          } else {
            reply(ctx, failure);
          }
        })
        .onSuccess(upload -> {
          uploaded.increment(upload.size());
          store(ctx, upload, project, name, version, channel, by, runId, jobId);
        });
  }

  private void store(RoutingContext ctx, StreamedUpload.Received upload, String project, String name, String version,
      String channel, String by, Long runId, Long jobId) {
    vertx.executeBlocking(() -> {
      ArtifactRepository.Published published = repository.publish(upload.file(), upload.sha256(), upload.size(), project,
          name, version, ctx.request().getHeader("x-file-name"), by, runId, jobId);
      ChannelMove moved = channel == null ? null : repository.move(project, name, channel, version, by);
      return Map.entry(published, moved == null ? List.<ChannelMove>of() : List.of(moved));
    }, false).onComplete(done -> {
      if (done.failed()) {
        vertx.fileSystem().delete(upload.file().toString()).onComplete(deleted -> reply(ctx, done.cause()));
        return;
      }
      ArtifactRepository.Published published = done.result().getKey();
      ArtifactVersion stored = published.version();
      if (published.created() || !done.result().getValue().isEmpty()) {
        vertx.eventBus().publish(Addresses.ARTIFACT_EVENTS, new ArtifactPublished(project, name, version, stored.sha256(),
            stored.size(), channel, by, System.currentTimeMillis()));
      }
      ctx.response().putHeader("location", "/api/v1/artifacts/" + project + "/" + name + "/versions/" + version);
      HttpReplies.json(ctx, published.created() ? 201 : 200, stored);
    });
  }

  // ---- downloads --------------------------------------------------------------------------------

  private void download(RoutingContext ctx, ArtifactVersion version, boolean immutable) {
    HttpServerResponse response = ctx.response();
    String etag = "\"" + version.sha256() + "\"";
    long size = version.size();
    response.putHeader("etag", etag)
        .putHeader("accept-ranges", "bytes")
        .putHeader("content-type", "application/octet-stream")
        .putHeader("content-encoding", "identity") // already final bytes: no compression, zero-copy sendfile
        .putHeader("content-disposition", "attachment; filename=\"" + version.fileName() + "\"")
        .putHeader("x-artifact-version", version.version())
        .putHeader("x-checksum-sha256", version.sha256())
        .putHeader("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    String ifNoneMatch = ctx.request().getHeader("if-none-match");
    if (ifNoneMatch != null && (ifNoneMatch.trim().equals("*") || List.of(ifNoneMatch.split(",")).stream()
        .map(String::trim).map(tag -> tag.startsWith("W/") ? tag.substring(2) : tag).anyMatch(etag::equals))) {
      response.setStatusCode(304).end();
      return;
    }
    long offset = 0;
    long length = size;
    String range = ctx.request().getHeader("range");
    String ifRange = ctx.request().getHeader("if-range");
    if (range != null && (ifRange == null || ifRange.trim().equals(etag))) {
      Matcher matcher = RANGE.matcher(range.trim());
      if (matcher.matches() && !(matcher.group(1).isEmpty() && matcher.group(2).isEmpty())) {
        long first;
        long last;
        if (matcher.group(1).isEmpty()) { // the last N bytes
          long suffix = parse(matcher.group(2));
          first = Math.max(0, size - suffix);
          last = size - 1;
        } else {
          first = parse(matcher.group(1));
          last = matcher.group(2).isEmpty() ? size - 1 : Math.min(parse(matcher.group(2)), size - 1);
        }
        if (first >= size || first > last || first < 0) {
          response.setStatusCode(416).putHeader("content-range", "bytes */" + size).end();
          return;
        }
        offset = first;
        length = last - first + 1;
        response.setStatusCode(206).putHeader("content-range", "bytes " + first + "-" + last + "/" + size);
      }
      // Several ranges, or a form we do not know: the whole file (allowed by RFC 9110).
    }
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.putHeader("content-length", Long.toString(length)).end();
      return;
    }
    long sent = length;
    response.sendFile(repository.blob(version).toString(), offset, length).onComplete(done -> {
      if (done.succeeded()) {
        downloaded.increment(sent);
      } else {
        LOG.log(Level.FINE, "download of " + version.project() + "/" + version.name() + " broke off", done.cause());
      }
    });
  }

  private void moveChannel(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    String version = body == null ? null : body.getValue("version") instanceof String text ? text : null;
    if (version == null) {
      HttpReplies.error(ctx, 400, "bad_request", "send {\"version\": \"…\"}: the version the channel should point to", null);
      return;
    }
    String project = ctx.pathParam("project");
    String name = ctx.pathParam("name");
    String channel = ctx.pathParam("channel");
    String by = Authenticator.principalName(ctx);
    lookUp(ctx, () -> {
      ChannelMove move = repository.move(project, name, channel, version, by);
      ArtifactVersion target = repository.version(project, name, version).orElseThrow();
      vertx.eventBus().publish(Addresses.ARTIFACT_EVENTS, new ArtifactPublished(project, name, version, target.sha256(),
          target.size(), channel, by, move.at()));
      return move;
    }).onSuccess(move -> HttpReplies.json(ctx, 200, move));
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private <T> Future<T> lookUp(RoutingContext ctx, Callable<T> work) {
    return vertx.executeBlocking(work, false).onFailure(failure -> reply(ctx, failure));
  }

  private void blocking(RoutingContext ctx, Callable<Object> work) {
    lookUp(ctx, work).onSuccess(body -> HttpReplies.json(ctx, 200, body));
  }

  private static void reply(RoutingContext ctx, Throwable failure) {
    if (failure instanceof ArtifactRepository.NotFound) {
      HttpReplies.error(ctx, 404, "not_found", failure.getMessage(), null);
    } else if (failure instanceof ArtifactRepository.Conflict) {
      HttpReplies.error(ctx, 409, "conflict", failure.getMessage(), null);
    } else if (failure instanceof ArtifactRepository.BadName) {
      HttpReplies.error(ctx, 400, "bad_request", failure.getMessage(), null);
    } else {
      LOG.log(Level.WARNING, "artifact request " + ctx.request().path() + " failed", failure);
      HttpReplies.error(ctx, 500, "internal", "the artifact repository failed: " + failure.getMessage(), null);
    }
  }

  private static long longParam(RoutingContext ctx, String name, long fallback) {
    try {
      return ctx.request().getParam(name) == null ? fallback : Long.parseLong(ctx.request().getParam(name));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static long parse(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE; // beyond any file: answered 416
    }
  }
}
