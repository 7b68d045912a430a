package org.buildswarm.gateway.impl;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.eventbus.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.EventPage;
import org.buildswarm.protocol.api.GetJobTests;
import org.buildswarm.protocol.api.GetRun;
import org.buildswarm.protocol.api.GetRunEvents;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.DecideJob;
import org.buildswarm.protocol.api.GetQueue;
import org.buildswarm.protocol.api.ListEnvironments;
import org.buildswarm.protocol.api.RollbackEnvironment;
import org.buildswarm.protocol.api.RerunRequest;
import org.buildswarm.protocol.api.RetryRequest;
import org.buildswarm.protocol.api.ListDrones;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.SetDroneMode;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.message.SourceSpec;

/** The REST API under {@code /api/v1}: each route asks the orchestrator over the event bus. */
public final class ApiRoutes {
  private final Vertx vertx;
  private final Authenticator auth;
  private final LogStore logs;
  private final LiveEvents live;
  private final StatusSnapshots snapshots;
  private final DeliveryOptions delivery;
  /** Status reads give up sooner: with a snapshot to fall back on, a quick stale answer beats a slow one. */
  private final DeliveryOptions statusDelivery;

  public ApiRoutes(Vertx vertx, Authenticator auth, LogStore logs, LiveEvents live, StatusSnapshots snapshots,
      long timeoutMs) {
    this.vertx = vertx;
    this.auth = auth;
    this.logs = logs;
    this.live = live;
    this.snapshots = snapshots;
    this.delivery = new DeliveryOptions().setSendTimeout(timeoutMs);
    this.statusDelivery = new DeliveryOptions().setSendTimeout(Math.min(timeoutMs, STATUS_TIMEOUT_MS));
  }

  static final long STATUS_TIMEOUT_MS = 3_000;

  public void mount(Router router) {
    router.post("/api/v1/runs").handler(auth.require(Role.DEVELOPER)).handler(this::submit);
    router.get("/api/v1/runs").handler(this::listRuns);
    router.post("/api/v1/runs/:run/rerun").handler(auth.require(Role.DEVELOPER)).handler(ctx -> withId(ctx, "run", id ->
        vertx.eventBus().<SubmitResult>request(Addresses.RUN_RERUN,
                new RerunRequest(id, principal(ctx), ignoresCache(ctx)), delivery)
            .onComplete(result -> created(ctx, result))));
    router.post("/api/v1/runs/:run/retry-failed").handler(auth.require(Role.DEVELOPER)).handler(ctx -> withId(ctx, "run",
        id -> retry(ctx, new RetryRequest(id, null, principal(ctx)))));
    router.post("/api/v1/runs/:run/jobs/:job/retry").handler(auth.require(Role.DEVELOPER))
        .handler(ctx -> withId(ctx, "run", run -> withId(ctx, "job", job ->
            retry(ctx, new RetryRequest(run, job, principal(ctx))))));
    router.get("/api/v1/overview").handler(this::overview);
    router.get("/api/v1/queue").handler(ctx -> askOrSnapshot(ctx, Addresses.QUEUE_LIST,
        new GetQueue((int) longParam(ctx, "limit", GetQueue.DEFAULT_LIMIT)), StatusSnapshots.QUEUE));
    router.get("/api/v1/runs/:run").handler(ctx -> withId(ctx, "run", id -> ask(ctx, Addresses.RUN_GET, new GetRun(id))));
    router.get("/api/v1/runs/:run/events").handler(ctx -> withId(ctx, "run", id -> {
      long after = longParam(ctx, "after", 0);
      int limit = (int) longParam(ctx, "limit", 1000);
      ask(ctx, Addresses.RUN_EVENTS_GET, new GetRunEvents(id, after, limit), page -> page instanceof EventPage events
          ? Map.of("events", events.events()) : page);
    }));
    router.post("/api/v1/runs/:run/cancel").handler(auth.require(Role.DEVELOPER))
        .handler(ctx -> withId(ctx, "run", id -> ask(ctx, Addresses.CANCEL, new CancelRequest(id, null, principal(ctx)))));
    router.post("/api/v1/runs/:run/jobs/:job/cancel").handler(auth.require(Role.DEVELOPER))
        .handler(ctx -> withId(ctx, "run", run -> withId(ctx, "job", job ->
            ask(ctx, Addresses.CANCEL, new CancelRequest(run, job, principal(ctx))))));
    router.get("/api/v1/jobs/:job/log").handler(ctx -> withId(ctx, "job", id -> log(ctx, id)));
    router.get("/api/v1/jobs/:job/log/times").handler(ctx -> withId(ctx, "job", id -> logTimes(ctx, id)));
    router.get("/api/v1/jobs/:job/tests").handler(ctx -> withId(ctx, "job", id -> {
      String attempt = ctx.request().getParam("attempt");
      if (attempt != null && !attempt.matches("[1-9][0-9]{0,8}")) {
        HttpReplies.error(ctx, 400, "bad_request", "attempt must be a positive number", null);
        return;
      }
      ask(ctx, Addresses.JOB_TESTS_GET, new GetJobTests(id, attempt == null ? null : Integer.valueOf(attempt)));
    }));
    router.get("/api/v1/drones").handler(ctx -> askOrSnapshot(ctx, Addresses.DRONE_LIST, new ListDrones(),
        StatusSnapshots.DRONES));
    for (Map.Entry<String, DroneMode> action : Map.of(
        "drain", DroneMode.DRAINING, "pause", DroneMode.PAUSED, "resume", DroneMode.ACTIVE).entrySet()) {
      router.post("/api/v1/drones/:drone/" + action.getKey()).handler(auth.require(Role.ADMIN)).handler(ctx ->
          ask(ctx, Addresses.DRONE_MODE, new SetDroneMode(ctx.pathParam("drone"), action.getValue(), principal(ctx))));
    }
    router.get("/api/v1/projects").handler(ctx -> ask(ctx, Addresses.PROJECT_LIST,
        new org.buildswarm.protocol.api.ListProjects()));
    router.get("/api/v1/status").handler(ctx -> askOrSnapshot(ctx, Addresses.STATUS, new GetStatus(),
        StatusSnapshots.STATUS));
    router.get("/api/v1/events").handler(live::stream);
    router.get("/api/v1/environments").handler(ctx -> ask(ctx, Addresses.ENVIRONMENT_LIST,
        new ListEnvironments(ctx.queryParams().get("project"), (int) longParam(ctx, "history", 0))));
    router.post("/api/v1/environments/:project/:environment/rollback").handler(auth.require(Role.DEVELOPER))
        .handler(ctx -> {
          JsonObject body = optionalBody(ctx);
          if (body != null) {
            ask(ctx, Addresses.ENVIRONMENT_ROLLBACK, new RollbackEnvironment(ctx.pathParam("project"),
                ctx.pathParam("environment"), body.getString("version"), principal(ctx)));
          }
        });
    router.post("/api/v1/runs/:run/jobs/:job/decide").handler(auth.require(Role.ADMIN))
        .handler(ctx -> withId(ctx, "run", run -> withId(ctx, "job", job -> {
          JsonObject body = optionalBody(ctx);
          if (body != null) {
            ask(ctx, Addresses.JOB_DECIDE, new DecideJob(run, job, body.getString("decision", ""), principal(ctx)));
          }
        })));
  }

  /** A retry takes no options: its body is {} (or empty); anything but a JSON object is refused. */
  private void retry(RoutingContext ctx, RetryRequest request) {
    if (optionalBody(ctx) != null) {
      ask(ctx, Addresses.RUN_RETRY, request);
    }
  }

  /** The request's JSON object ({} when empty), or null after answering 400. */
  private static JsonObject optionalBody(RoutingContext ctx) {
    try {
      String text = ctx.body() == null ? null : ctx.body().asString();
      return text == null || text.isBlank() ? new JsonObject() : new JsonObject(text);
    } catch (RuntimeException e) {
      HttpReplies.badJson(ctx, e);
      return null;
    }
  }

  private void submit(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      HttpReplies.badJson(ctx, e);
      return;
    }
    if (body == null || !(body.getValue("pipeline") instanceof String pipeline) || pipeline.isBlank()) {
      HttpReplies.error(ctx, 400, "bad_request", "\"pipeline\" (the pipeline file's text) is required", null);
      return;
    }
    Trigger trigger;
    SourceSpec source;
    try {
      trigger = Trigger.valueOf(body.getString("trigger", "manual").toUpperCase(Locale.ROOT));
      JsonObject sourceJson = body.getJsonObject("source");
      source = sourceJson == null ? SourceSpec.none() : new SourceSpec(sourceJson.getString("kind", SourceSpec.NONE),
          sourceJson.getString("location"), sourceJson.getString("revision"), sourceJson.getString("ref"),
          commit(sourceJson.getJsonObject("commit")));
    } catch (RuntimeException e) {
      HttpReplies.error(ctx, 400, "bad_request", "\"trigger\" must be one of " + java.util.Arrays.stream(Trigger.values())
          .map(value -> value.name().toLowerCase(Locale.ROOT)).toList() + ", and \"source\" an object with string"
          + " kind, location, revision and ref (and a commit object with string sha, title and author)", null);
      return;
    }
    if (!java.util.Set.of(SourceSpec.NONE, SourceSpec.DIRECTORY, SourceSpec.GIT).contains(source.kind())
        || (!SourceSpec.NONE.equals(source.kind()) && (source.location() == null || source.location().isBlank()))) {
      HttpReplies.error(ctx, 400, "bad_request", "\"source\" needs kind none, directory or git, and a location", null);
      return;
    }
    Object project = body.getValue("project");
    if (project != null && (!(project instanceof String name) || org.buildswarm.protocol.ProjectNames.problem(name) != null)) {
      HttpReplies.error(ctx, 400, "bad_request", project instanceof String name
          ? org.buildswarm.protocol.ProjectNames.problem(name) : "\"project\" must be a string", null);
      return;
    }
    if (body.containsKey("cache") && !(body.getValue("cache") instanceof Boolean)) {
      HttpReplies.error(ctx, 400, "bad_request", "\"cache\" must be true or false (false: run every job, whatever "
          + "the cache holds)", null);
      return;
    }
    SubmitRun request = new SubmitRun(body.getString("project"), body.getString("file"), pipeline, source, trigger,
        principal(ctx), Boolean.FALSE.equals(body.getValue("cache")));
    vertx.eventBus().<SubmitResult>request(Addresses.RUN_SUBMIT, request, delivery)
        .onComplete(result -> created(ctx, result));
  }

  /** {@code ?cache=false} on a re-run: run every job whatever the cache holds. */
  private static boolean ignoresCache(RoutingContext ctx) {
    String cache = ctx.request().getParam("cache");
    return "false".equalsIgnoreCase(cache) || "0".equals(cache);
  }

  private static void created(RoutingContext ctx, io.vertx.core.AsyncResult<Message<SubmitResult>> result) {
    if (result.failed()) {
      HttpReplies.failure(ctx, result.cause());
      return;
    }
    SubmitResult submitted = result.result().body();
    if (!submitted.isValid()) {
      HttpReplies.error(ctx, 422, "invalid_pipeline", submitted.problems().size() + " problem(s) in the pipeline",
          submitted.problems());
      return;
    }
    ctx.response().putHeader("location", "/api/v1/runs/" + submitted.runId());
    HttpReplies.json(ctx, 201, Map.of("id", submitted.runId(), "url", "/api/v1/runs/" + submitted.runId()));
  }

  /** Status, drones, queue and recent runs in one answer: live, or the last snapshot with live:false. */
  private void overview(RoutingContext ctx) {
    snapshots.live().onComplete(result -> {
      if (result.succeeded()) {
        Map<String, Object> body = new LinkedHashMap<>(result.result());
        body.put("live", true);
        HttpReplies.json(ctx, 200, body);
      } else {
        answerFromSnapshot(ctx, result.cause(), snapshots.latest());
      }
    });
  }

  /**
   * Asks the orchestrator; if it cannot be reached, answers with that part of the last snapshot,
   * marked {@code "live": false} with its time. Either way the answer says whether it is live.
   */
  private void askOrSnapshot(RoutingContext ctx, String address, Object request, String part) {
    vertx.eventBus().request(address, request, statusDelivery).onComplete(result -> {
      if (result.succeeded()) {
        Map<String, Object> body = ProtocolJson.mapper().convertValue(result.result().body(), PLAIN);
        body.put("live", true);
        HttpReplies.json(ctx, 200, body);
        return;
      }
      Map<String, Object> snapshot = snapshots.latest();
      answerFromSnapshot(ctx, result.cause(), snapshot == null || !(snapshot.get(part) instanceof Map<?, ?> stored)
          ? null : PLAIN_MAPPER.apply(stored));
    });
  }

  private static final com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>> PLAIN =
      new com.fasterxml.jackson.core.type.TypeReference<>() {};
  private static final java.util.function.Function<Map<?, ?>, Map<String, Object>> PLAIN_MAPPER = stored -> {
    Map<String, Object> copy = new LinkedHashMap<>();
    stored.forEach((key, value) -> copy.put(String.valueOf(key), value));
    return copy;
  };

  private void answerFromSnapshot(RoutingContext ctx, Throwable failure, Map<String, Object> snapshot) {
    if (!HttpReplies.unreachable(failure) || snapshot == null) {
      HttpReplies.failure(ctx, failure);
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>(snapshot);
    body.put("live", false);
    body.put("snapshotAt", snapshots.latestAt());
    ctx.response().putHeader("x-buildswarm-snapshot-at", Long.toString(snapshots.latestAt()));
    HttpReplies.json(ctx, 200, body);
  }

  /** What a submitter says about the commit (the CLI, from a checkout's HEAD); shown only. */
  private static SourceSpec.Commit commit(JsonObject json) {
    if (json == null) {
      return null;
    }
    String sha = json.getString("sha");
    if (sha == null || !sha.matches("[0-9a-f]{7,64}")) {
      throw new IllegalArgumentException("a commit's sha is hexadecimal");
    }
    return new SourceSpec.Commit(sha, json.getString("title"), json.getString("author"));
  }

  private void listRuns(RoutingContext ctx) {
    long before = longParam(ctx, "before", 0);
    String state = ctx.request().getParam("state");
    org.buildswarm.protocol.RunState runState = null;
    if (state != null && !state.isBlank()) {
      try {
        runState = org.buildswarm.protocol.RunState.valueOf(state.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        HttpReplies.error(ctx, 400, "bad_request", "\"state\" is one of " + java.util.Arrays.stream(
            org.buildswarm.protocol.RunState.values()).map(value -> value.name().toLowerCase(Locale.ROOT)).toList(), null);
        return;
      }
    }
    String branch = ctx.request().getParam("branch");
    RunQuery query = new RunQuery((int) longParam(ctx, "limit", RunQuery.DEFAULT_LIMIT), before > 0 ? before : null,
        ctx.request().getParam("project"), branch == null || branch.isBlank() ? null : branch, runState);
    ask(ctx, Addresses.RUN_LIST, query);
  }

  private void log(RoutingContext ctx, long jobId) {
    Integer attempt = ctx.request().getParam("attempt") == null ? null : (int) longParam(ctx, "attempt", 1);
    long offset = Math.max(0, longParam(ctx, "offset", 0));
    vertx.executeBlocking(() -> logs.find(jobId, attempt), false).onComplete(found -> {
      if (found.failed()) {
        HttpReplies.failure(ctx, found.cause());
      } else if (found.result() == null) {
        HttpReplies.error(ctx, 404, "not_found", "no log for job " + jobId + (attempt == null ? "" : " attempt " + attempt)
            + " (yet)", null);
      } else {
        LogStore.LogFile file = found.result();
        long from = Math.min(offset, file.length());
        ctx.response()
            .putHeader("content-type", "text/plain; charset=utf-8")
            .putHeader("cache-control", "no-store")
            .putHeader("x-log-attempt", Integer.toString(file.attempt()))
            .putHeader("x-log-size", Long.toString(file.length()))
            .putHeader("x-log-complete", Boolean.toString(file.complete()))
            .sendFile(file.path().toString(), from, file.length() - from);
      }
    });
  }

  /** {@code {"attempt": N, "times": [[offset, epochMs], ...]}}: compact, a long log has many. */
  private void logTimes(RoutingContext ctx, long jobId) {
    Long attempt = strictLongParam(ctx, "attempt", 1, 1);
    Long from = attempt == null ? null : strictLongParam(ctx, "from", 0, 0);
    if (attempt == null || from == null) {
      return;
    }
    Integer chosen = ctx.request().getParam("attempt") == null ? null : (int) Math.min(Integer.MAX_VALUE, attempt);
    vertx.executeBlocking(() -> logs.times(jobId, chosen, from), false).onComplete(found -> {
      if (found.failed()) {
        HttpReplies.failure(ctx, found.cause());
      } else if (found.result() == null) {
        HttpReplies.error(ctx, 404, "not_found", "no log for job " + jobId + (chosen == null ? "" : " attempt " + chosen)
            + " (yet)", null);
      } else {
        LogStore.LogTimes times = found.result();
        List<long[]> pairs = new ArrayList<>(times.times().size());
        times.times().forEach(time -> pairs.add(new long[] {time.offset(), time.epochMs()}));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("attempt", times.attempt());
        body.put("times", pairs);
        HttpReplies.json(ctx, 200, body);
      }
    });
  }

  /** A query parameter that must be a number of at least {@code min} if given; null after answering 400. */
  private static Long strictLongParam(RoutingContext ctx, String name, long fallback, long min) {
    String value = ctx.request().getParam(name);
    if (value == null) {
      return fallback;
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed >= min) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    HttpReplies.error(ctx, 400, "bad_request", "\"" + name + "\" must be a number of at least " + min + ", not \""
        + value + "\"", null);
    return null;
  }

  private void ask(RoutingContext ctx, String address, Object request) {
    ask(ctx, address, request, body -> body);
  }

  private void ask(RoutingContext ctx, String address, Object request, java.util.function.Function<Object, Object> view) {
    vertx.eventBus().request(address, request, delivery).onComplete(result -> {
      if (result.succeeded()) {
        HttpReplies.json(ctx, 200, view.apply(result.result().body()));
      } else {
        HttpReplies.failure(ctx, result.cause());
      }
    });
  }

  private static void withId(RoutingContext ctx, String name, java.util.function.LongConsumer use) {
    long id;
    try {
      id = Long.parseLong(ctx.pathParam(name));
    } catch (NumberFormatException e) {
      HttpReplies.error(ctx, 400, "bad_request", name + " must be a number", null);
      return;
    }
    use.accept(id);
  }

  private static long longParam(RoutingContext ctx, String name, long fallback) {
    String value = ctx.request().getParam(name);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static String principal(RoutingContext ctx) {
    return Authenticator.principalName(ctx);
  }

}
