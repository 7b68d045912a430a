package org.buildswarm.orchestrator.discovery;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.discovery.impl.GitRemote;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.WebhookDelivery;
import org.buildswarm.protocol.api.WebhookResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.buildswarm.protocol.trigger.Glob;

/**
 * Work discovery by polling: every project's remote is asked for its heads ({@code ls-remote})
 * every {@code poll}; each followed branch (and, once the project is known, each tag) whose commit
 * changed gets the pipeline file read at that commit, and a run when its {@code on.push} filters
 * accept the push (refs and changed files). The commit is recorded as seen only once its run is
 * stored, so a lost orchestrator or store never loses a push and never starts one twice.
 * Deployed by the leading orchestrator only.
 */
public final class DiscoveryVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(DiscoveryVerticle.class.getName());
  private static final long SUBMIT_TIMEOUT_MS = 30_000;

  private final List<Project> projects;
  private final Store store;
  private final Path mirrorRoot;
  private final PipelineLimits limits;
  private final Map<String, Future<Void>> polling = new HashMap<>();
  private final List<Long> timers = new ArrayList<>();
  private GitRemote remote;
  private io.vertx.core.eventbus.MessageConsumer<WebhookDelivery> webhooks;

  /** What one poll found on one ref. */
  private record Found(String ref, String sha, String yaml, boolean start, String why) {}

  /** The pipeline whose {@code schedule:} applies: the one on the project's main followed branch. */
  private record Scheduled(String ref, String sha, String yaml, List<org.buildswarm.protocol.trigger.CronSchedule> crons) {}

  /** What one poll found. */
  private record Look(List<Found> found, Scheduled scheduled) {}

  /** How often schedules are checked (a cron schedule has minutes as its unit). */
  public static final long SCHEDULE_CHECK_MS = 15_000;

  private final java.util.function.LongSupplier clock;
  private final long scheduleCheckMs;
  private final Map<String, Scheduled> scheduled = new HashMap<>();

  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits) {
    this(projects, store, mirrorRoot, limits, System::currentTimeMillis, SCHEDULE_CHECK_MS);
  }

  /**
   * @param clock the time schedules are checked against (tests move it)
   * @param scheduleCheckMs time between schedule checks
   */
  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits,
      java.util.function.LongSupplier clock, long scheduleCheckMs) {
    this.projects = List.copyOf(projects);
    this.store = store;
    this.mirrorRoot = mirrorRoot;
    this.limits = limits;
    this.clock = clock;
    this.scheduleCheckMs = scheduleCheckMs;
  }

  @Override
  public Future<?> start() {
    remote = new GitRemote(mirrorRoot);
    webhooks = vertx.eventBus().consumer(Addresses.WEBHOOK, this::webhook);
    timers.add(vertx.setPeriodic(scheduleCheckMs, id -> projects.forEach(this::checkSchedules)));
    for (Project project : projects) {
      timers.add(vertx.setPeriodic(0, project.pollMs(), id -> poll(project)));
      LOG.info("watching " + project.url() + " (project " + project.name() + ", branches " + project.branches()
          + ", every " + project.pollMs() / 1000 + " s)");
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    return webhooks == null ? Future.succeededFuture() : webhooks.unregister();
  }

  /**
   * A push announced by the Git host: checked against the project's secret (HMAC-SHA256 over the
   * exact body, compared in constant time), recorded by delivery id (a replay starts nothing), and
   * answered by looking at the project's remote now — the same path as a poll, so the filters,
   * the changed files and "never twice" are the same, and a deleted branch finds nothing to run.
   */
  private void webhook(io.vertx.core.eventbus.Message<WebhookDelivery> message) {
    WebhookDelivery delivery = message.body();
    com.fasterxml.jackson.databind.JsonNode payload;
    try {
      payload = org.buildswarm.protocol.ProtocolJson.mapper().readTree(delivery.body());
    } catch (java.io.IOException | RuntimeException e) {
      payload = null;
    }
    Set<String> urls = new HashSet<>();
    if (payload != null) {
      for (String key : List.of("clone_url", "ssh_url", "html_url", "git_url", "url")) {
        String url = payload.path("repository").path(key).asText("");
        if (!url.isEmpty()) {
          urls.add(Webhooks.normalize(url));
        }
      }
    }
    Project project = null;
    for (Project candidate : projects) {
      if (candidate.webhookSecret() != null && urls.contains(Webhooks.normalize(candidate.url()))
          && Webhooks.signatureMatches(delivery.provider(), delivery.signature(), candidate.webhookSecret(),
              delivery.body())) {
        project = candidate;
      }
    }
    if (project == null) {
      message.fail(ApiFailures.UNAUTHORIZED, "the signature does not match the webhook secret of a watched repository");
      return;
    }
    if (delivery.deliveryId() == null || delivery.deliveryId().isBlank()) {
      message.fail(ApiFailures.BAD_REQUEST, "the delivery has no id header");
      return;
    }
    Project verified = project;
    String event = delivery.event() == null ? "" : delivery.event();
    store.recordDelivery(delivery.provider() + ":" + delivery.deliveryId()).onComplete(recorded -> {
      if (recorded.failed()) {
        message.fail(ApiFailures.UNAVAILABLE, "the delivery could not be recorded; send it again");
      } else if (!recorded.result()) {
        message.reply(new WebhookResult("duplicate", verified.name(), "delivery " + delivery.deliveryId()
            + " was handled before; nothing started"));
      } else if (!Webhooks.startsWork(event, delivery.body())) {
        message.reply(new WebhookResult("ignored", verified.name(), "a " + event + " event starts nothing"));
      } else {
        poll(verified);
        message.reply(new WebhookResult("polling", verified.name(), "looking for new commits of " + verified.name()));
      }
    });
  }

  /** Looks at a project's remote now (from any thread), as its timer would; completes when done. */
  public Future<Void> pollNow(Project project) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> poll(project).onComplete(done));
    return done.future();
  }

  /** One look at a project's remote; while one is going, asking again joins it rather than doubling it. */
  private Future<Void> poll(Project project) {
    Future<Void> going = polling.get(project.name());
    if (going != null) {
      return going;
    }
    Future<Void> look = store.discoveredHeads(project.name())
        .compose(known -> {
          Scheduled before = scheduled.get(project.name());
          return vertx.executeBlocking(() -> look(project, known, before), false);
        })
        .compose(seen -> {
          if (seen.scheduled() != null) {
            scheduled.put(project.name(), seen.scheduled());
          }
          return startRuns(project, seen.found());
        })
        .onFailure(failure -> LOG.log(Level.WARNING, "polling " + project.url() + " failed: " + failure.getMessage()))
        .eventually(() -> {
          polling.remove(project.name());
          return Future.succeededFuture();
        });
    if (!look.isComplete()) {
      polling.put(project.name(), look);
    }
    return look;
  }

  private Look look(Project project, Map<String, String> known, Scheduled before) throws Exception {
    boolean firstLook = known.isEmpty();
    List<Found> found = new ArrayList<>();
    Map<String, String> heads = remote.heads(project.url());
    for (Map.Entry<String, String> head : heads.entrySet()) {
      String ref = head.getKey();
      String sha = head.getValue();
      if (sha.equals(known.get(ref))) {
        continue;
      }
      boolean branch = ref.startsWith("refs/heads/");
      if (branch && !Glob.anyMatches(project.branches(), ref.substring("refs/heads/".length()))) {
        continue;
      }
      if (!branch && firstLook) {
        // The tags a project already has are its history, not pushes: note them, start nothing.
        found.add(new Found(ref, sha, null, false, "existing tag"));
        continue;
      }
      remote.fetch(project.url(), sha);
      String yaml = remote.read(project.url(), sha, project.file());
      if (yaml == null) {
        found.add(new Found(ref, sha, null, false, "no " + project.file() + " at " + sha));
        continue;
      }
      List<String> changed = known.get(ref) == null ? null : remote.changedFiles(project.url(), known.get(ref), sha);
      try {
        Pipeline pipeline = new PipelineReader(limits).read(project.file(), yaml);
        boolean start = pipeline.on().push() != null && pipeline.on().push().matches(ref, changed);
        found.add(new Found(ref, sha, yaml, start, start ? null : "its on.push filters skip this push"));
      } catch (PipelineException invalid) {
        // Submitted anyway: the refusal lists every problem in the orchestrator's log.
        found.add(new Found(ref, sha, yaml, true, null));
      }
    }
    return new Look(found, scheduledPipeline(project, heads, before));
  }

  /** The main followed branch (the first one named without wildcards that exists, else the first that matches). */
  private Scheduled scheduledPipeline(Project project, Map<String, String> heads, Scheduled before) throws Exception {
    String ref = null;
    for (Glob glob : project.branches()) {
      String named = "refs/heads/" + glob.pattern();
      if (!glob.negated() && heads.containsKey(named)) {
        ref = named;
        break;
      }
    }
    if (ref == null) {
      ref = heads.keySet().stream().filter(name -> name.startsWith("refs/heads/")
          && Glob.anyMatches(project.branches(), name.substring("refs/heads/".length()))).findFirst().orElse(null);
    }
    if (ref == null) {
      return null;
    }
    String sha = heads.get(ref);
    if (before != null && before.ref().equals(ref) && before.sha().equals(sha)) {
      return before; // the branch has not moved: no need to read and parse its pipeline again
    }
    remote.fetch(project.url(), sha);
    String yaml = remote.read(project.url(), sha, project.file());
    if (yaml == null) {
      return new Scheduled(ref, sha, null, List.of());
    }
    try {
      return new Scheduled(ref, sha, yaml, new PipelineReader(limits).read(project.file(), yaml).on().schedules());
    } catch (PipelineException invalid) {
      return new Scheduled(ref, sha, yaml, List.of());
    }
  }

  /** Checks the project's schedules now (from any thread); completes when done. */
  public Future<Void> checkSchedulesNow(Project project) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> checkSchedules(project).onComplete(done));
    return done.future();
  }

  /**
   * Starts a run for each schedule due since it last fired: once, however many firings an outage
   * missed. A schedule seen for the first time starts counting from now.
   */
  private Future<Void> checkSchedules(Project project) {
    Scheduled plan = scheduled.get(project.name());
    if (plan == null || plan.crons().isEmpty()) {
      return Future.succeededFuture();
    }
    long now = clock.getAsLong();
    return store.scheduleFires(project.name()).compose(fires -> {
      Future<Void> chain = Future.succeededFuture();
      for (org.buildswarm.protocol.trigger.CronSchedule cron : plan.crons()) {
        Long last = fires.get(cron.expression());
        if (last == null) {
          chain = chain.compose(v -> store.saveScheduleFire(project.name(), cron.expression(), now));
          continue;
        }
        long next = cron.nextMillis(last);
        if (next < 0 || next > now) {
          continue;
        }
        chain = chain.compose(v -> submitRun(project, plan.ref(), plan.sha(), plan.yaml(), Trigger.CRON,
                "schedule " + cron.expression() + " on " + plan.ref()))
            .compose(v -> store.saveScheduleFire(project.name(), cron.expression(), now));
      }
      return chain;
    }).onFailure(failure -> LOG.warning("checking the schedules of " + project.name() + " failed: " + failure));
  }

  private Future<Void> startRuns(Project project, List<Found> found) {
    Future<Void> chain = Future.succeededFuture();
    for (Found push : found) {
      chain = chain.compose(v -> push.start() ? submit(project, push) : note(project, push));
    }
    return chain;
  }

  private Future<Void> note(Project project, Found push) {
    LOG.fine(project.name() + " " + push.ref() + " at " + push.sha() + ": no run (" + push.why() + ")");
    return store.saveDiscoveredHead(project.name(), push.ref(), push.sha());
  }

  private Future<Void> submit(Project project, Found push) {
    return submitRun(project, push.ref(), push.sha(), push.yaml(), Trigger.PUSH, "push to " + push.ref())
        .compose(v -> store.saveDiscoveredHead(project.name(), push.ref(), push.sha()));
  }

  /** @param ref the ref the commit is on ({@code refs/heads/main}): the run's branch picks where it deploys */
  private Future<Void> submitRun(Project project, String ref, String sha, String yaml, Trigger trigger, String why) {
    SubmitRun run = new SubmitRun(project.name(), project.file(), yaml,
        new SourceSpec(SourceSpec.GIT, project.url(), sha, ref), trigger, why);
    return vertx.eventBus().<SubmitResult>request(Addresses.RUN_SUBMIT, run,
            new DeliveryOptions().setSendTimeout(SUBMIT_TIMEOUT_MS))
        .map(reply -> {
          SubmitResult result = reply.body();
          if (result.isValid()) {
            LOG.info(project.name() + ": run " + result.runId() + " (" + why + ") at " + sha);
          } else {
            LOG.warning(project.name() + ": the pipeline at " + sha + " (" + why + ") is invalid: " + result.problems());
          }
          return null;
        });
  }
}
