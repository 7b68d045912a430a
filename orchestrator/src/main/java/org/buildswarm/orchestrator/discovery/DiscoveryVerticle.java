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
  private final List<io.vertx.core.eventbus.MessageConsumer<?>> consumers = new ArrayList<>();
  private final Map<String, ProjectHealth> health = new java.util.LinkedHashMap<>();
  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final long reportRetryMs;
  private org.buildswarm.orchestrator.discovery.impl.Outbox outbox;
  private org.buildswarm.orchestrator.discovery.impl.ProjectReports reports;
  /** How many recent runs a leader reports again when it starts (a status lost in a crash goes out). */
  private static final int RUNS_REPORTED_AGAIN = 20;

  /** What one poll found on one ref. */
  private record Found(String ref, String sha, String yaml, boolean start, String why, SourceSpec.Commit commit) {}

  /** The pipeline whose {@code schedule:} applies: the one on the project's main followed branch. */
  private record Scheduled(String ref, String sha, String yaml, List<org.buildswarm.protocol.trigger.CronSchedule> crons,
      SourceSpec.Commit commit) {}

  /** What one poll found. */
  private record Look(List<Found> found, Scheduled scheduled) {}

  /** How often schedules are checked (a cron schedule has minutes as its unit). */
  public static final long SCHEDULE_CHECK_MS = 15_000;

  private final java.util.function.LongSupplier clock;
  private final long scheduleCheckMs;
  private final Map<String, Scheduled> scheduled = new HashMap<>();

  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits) {
    this(projects, store, mirrorRoot, limits, System::currentTimeMillis, SCHEDULE_CHECK_MS, null, 1_000);
  }

  /** @param registry where poll and report counts go (null: nowhere) */
  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this(projects, store, mirrorRoot, limits, System::currentTimeMillis, SCHEDULE_CHECK_MS, registry, 1_000);
  }

  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits,
      java.util.function.LongSupplier clock, long scheduleCheckMs) {
    this(projects, store, mirrorRoot, limits, clock, scheduleCheckMs, null, 1_000);
  }

  /**
   * @param clock the time schedules are checked against (tests move it)
   * @param scheduleCheckMs time between schedule checks
   */
  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits,
      java.util.function.LongSupplier clock, long scheduleCheckMs, io.micrometer.core.instrument.MeterRegistry registry,
      long reportRetryMs) {
    this.registry = registry;
    this.reportRetryMs = reportRetryMs;
    this.projects = List.copyOf(projects);
    this.store = store;
    this.mirrorRoot = mirrorRoot;
    this.limits = limits;
    this.clock = clock;
    this.scheduleCheckMs = scheduleCheckMs;
  }

  @Override
  public Future<?> start() {
    // No projects, no mirrors (nor a directory for them): the verticle then only answers and refuses.
    remote = projects.isEmpty() ? null : new GitRemote(mirrorRoot, url -> projects.stream().filter(project -> project.credentials() != null
        && Projects.sameRepository(project.url(), url)).map(Project::credentials).findFirst().orElse(null));
    projects.forEach(project -> health.put(project.name(), new ProjectHealth(project)));
    outbox = new org.buildswarm.orchestrator.discovery.impl.Outbox(vertx, new ReportListener(), reportRetryMs);
    reports = new org.buildswarm.orchestrator.discovery.impl.ProjectReports(vertx, this::project, outbox,
        projects.stream().anyMatch(project -> project.forge() != null && project.forge().perJob()));
    webhooks = vertx.eventBus().consumer(Addresses.WEBHOOK, this::webhook);
    consumers.add(vertx.eventBus().<org.buildswarm.protocol.api.ListProjects>consumer(Addresses.PROJECT_LIST,
        message -> message.reply(new org.buildswarm.protocol.api.ProjectList(ProjectHealth.views(
            new ArrayList<>(health.values()), name -> outbox.pending(key -> key.split(" ")[1].equals(name)))))));
    if (projects.stream().anyMatch(project -> project.forge() != null || project.notifier() != null)) {
      consumers.add(vertx.eventBus().<org.buildswarm.protocol.api.RunEvent>consumer(Addresses.RUN_EVENTS,
          message -> reports.onEvent(message.body())));
      reportRecentRunsAgain();
    }
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
    if (outbox != null) {
      outbox.close();
    }
    List<Future<Void>> unregistered = new ArrayList<>(consumers.stream().map(consumer -> consumer.unregister()).toList());
    if (webhooks != null) {
      unregistered.add(webhooks.unregister());
    }
    return Future.join(unregistered);
  }

  private Project project(String name) {
    for (Project project : projects) {
      if (project.name().equals(name)) {
        return project;
      }
    }
    return null;
  }

  /** The last runs as they are now, so a status a crash kept from going out goes out now. */
  private void reportRecentRunsAgain() {
    vertx.eventBus().<org.buildswarm.protocol.api.RunPage>request(Addresses.RUN_LIST,
            new org.buildswarm.protocol.api.RunQuery(RUNS_REPORTED_AGAIN, null, null),
            new DeliveryOptions().setSendTimeout(SUBMIT_TIMEOUT_MS))
        .onSuccess(page -> page.body().runs().stream()
            .filter(run -> project(run.project()) != null && project(run.project()).forge() != null)
            .forEach(run -> vertx.eventBus().<org.buildswarm.protocol.api.RunDetail>request(Addresses.RUN_GET,
                    new org.buildswarm.protocol.api.GetRun(run.id()), new DeliveryOptions().setSendTimeout(SUBMIT_TIMEOUT_MS))
                .onSuccess(detail -> reports.reportState(detail.body()))))
        .onFailure(failure -> LOG.fine("recent runs not reported again: " + failure.getMessage()));
  }

  /** Keeps each project's reporting health and counts, and says in the log what did not get through. */
  private final class ReportListener implements org.buildswarm.orchestrator.discovery.impl.Outbox.Listener {
    @Override
    public void delivered(org.buildswarm.orchestrator.discovery.impl.Outbox.Post post) {
      ProjectHealth project = health.get(projectOf(post));
      if (project != null) {
        project.lastReportAt = clock.getAsLong();
        project.lastReportError = null;
      }
      count("buildswarm.project.reports", projectOf(post), "delivered");
    }

    @Override
    public void failed(org.buildswarm.orchestrator.discovery.impl.Outbox.Post post, String problem, int attempt,
        boolean retrying) {
      ProjectHealth project = health.get(projectOf(post));
      if (project != null) {
        project.lastReportError = post.what() + ": " + problem;
      }
      count("buildswarm.project.reports", projectOf(post), "failed");
      LOG.warning(projectOf(post) + ": " + post.what() + " to " + post.url() + " failed (attempt " + attempt + "): "
          + problem + (retrying ? "; trying again" : "; given up"));
    }

    private String projectOf(org.buildswarm.orchestrator.discovery.impl.Outbox.Post post) {
      String[] words = post.key().split(" ");
      return words.length > 1 ? words[1] : "";
    }
  }

  private void count(String name, String project, String result) {
    if (registry != null) {
      io.micrometer.core.instrument.Counter.builder(name).tag("project", project).tag("result", result)
          .description(name.endsWith("polls") ? "Looks at a project's remote, by result"
              : "Commit statuses and notifications sent for a project, by result")
          .register(registry).increment();
    }
  }

  /**
   * A push announced by the Git host: checked against the project's secret (HMAC-SHA256 over the
   * exact body, compared in constant time), recorded by delivery id (a replay starts nothing), and
   * answered by looking at the project's remote now — the same path as a poll, so the filters,
   * the changed files and "never twice" are the same, and a deleted branch finds nothing to run.
   */
  private void webhook(io.vertx.core.eventbus.Message<WebhookDelivery> message) {
    WebhookDelivery delivery = message.body();
    Project project = verify(delivery, message);
    if (project == null) {
      return;
    }
    Project verified = project;
    String event = delivery.event() == null ? "" : delivery.event();
    store.recordDelivery(delivery.provider() + ":" + delivery.deliveryId()).onComplete(recorded -> {
      if (recorded.failed()) {
        message.fail(ApiFailures.UNAVAILABLE, "the delivery could not be recorded; send it again");
      } else if (!recorded.result()) {
        answer(message, new WebhookResult("duplicate", verified.name(), "delivery " + delivery.deliveryId()
            + " was handled before; nothing started"));
      } else if (!Webhooks.startsWork(event, delivery.body())) {
        answer(message, new WebhookResult("ignored", verified.name(), "a " + event + " event starts nothing"));
      } else {
        poll(verified);
        answer(message, new WebhookResult("polling", verified.name(), "looking for new commits of " + verified.name()));
      }
    });
  }

  /**
   * Which watched project a delivery is for, or null after answering why it is refused: unsigned
   * (401), signed with no watched repository's secret (401), a body that is not JSON (400, when
   * signed), a repository nobody watches (404). Every refusal leaves a log line with the delivery's id.
   */
  private Project verify(WebhookDelivery delivery, io.vertx.core.eventbus.Message<WebhookDelivery> message) {
    String id = delivery.provider() + " delivery " + (delivery.deliveryId() == null ? "(no id)" : delivery.deliveryId());
    if (delivery.signature() == null || delivery.signature().isBlank()) {
      refuse(message, id, ApiFailures.UNAUTHORIZED, "the delivery is not signed ("
          + ("github".equals(delivery.provider()) ? "X-Hub-Signature-256" : "X-Gitea-Signature") + " is missing)");
      return null;
    }
    List<Project> signedFor = new ArrayList<>();
    for (Project candidate : projects) {
      if (candidate.webhookSecret() != null && Webhooks.signatureMatches(delivery.provider(), delivery.signature(),
          candidate.webhookSecret(), delivery.body())) {
        signedFor.add(candidate);
      }
    }
    com.fasterxml.jackson.databind.JsonNode payload;
    try {
      payload = org.buildswarm.protocol.ProtocolJson.mapper().readTree(delivery.body());
    } catch (java.io.IOException | RuntimeException e) {
      payload = null;
    }
    if (payload == null || !payload.isObject()) {
      if (signedFor.isEmpty()) {
        refuse(message, id, ApiFailures.UNAUTHORIZED, "the signature does not match the webhook secret of a watched repository");
      } else {
        refuse(message, id, ApiFailures.BAD_REQUEST, "the body is not a JSON object");
      }
      return null;
    }
    Set<String> urls = new HashSet<>();
    for (String key : List.of("clone_url", "ssh_url", "html_url", "git_url", "url")) {
      String url = payload.path("repository").path(key).asText("");
      if (!url.isEmpty()) {
        urls.add(Webhooks.normalize(url));
      }
    }
    List<Project> watching = projects.stream().filter(candidate -> urls.contains(Webhooks.normalize(candidate.url())))
        .toList();
    if (watching.isEmpty()) {
      refuse(message, id, ApiFailures.NOT_FOUND, "no watched project has the repository " + (urls.isEmpty()
          ? "(the delivery names none)" : String.join(", ", new java.util.TreeSet<>(urls))));
      return null;
    }
    for (Project candidate : watching) {
      if (signedFor.contains(candidate)) {
        return candidate;
      }
    }
    refuse(message, id, ApiFailures.UNAUTHORIZED, watching.stream().anyMatch(candidate -> candidate.webhookSecret() == null)
        ? "project " + watching.get(0).name() + " takes no webhooks (it has no webhook-secret-file)"
        : "the signature does not match the webhook secret of project " + watching.get(0).name());
    return null;
  }

  private static void answer(io.vertx.core.eventbus.Message<WebhookDelivery> message, WebhookResult result) {
    LOG.info(message.body().provider() + " delivery " + message.body().deliveryId() + " for " + result.project() + ": "
        + result.outcome() + " (" + result.message() + ")");
    message.reply(result);
  }

  private static void refuse(io.vertx.core.eventbus.Message<WebhookDelivery> message, String id, int code, String why) {
    LOG.info(id + " refused (" + code + "): " + why);
    message.fail(code, why);
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
        .onComplete(result -> {
          String problem = result.succeeded() ? null : describe(result.cause());
          ProjectHealth watched = health.get(project.name());
          if (watched != null) {
            watched.polled(clock.getAsLong(), problem);
          }
          count("buildswarm.project.polls", project.name(), problem == null ? "ok" : "failed");
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

  /** A poll's failure for people: the innermost message says what the remote said. */
  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    Throwable cause = failure.getCause();
    while (cause != null && cause != cause.getCause()) {
      if (cause.getMessage() != null && !cause.getMessage().isBlank() && (message == null || !message.contains(cause.getMessage()))) {
        message = (message == null ? "" : message + ": ") + cause.getMessage();
      }
      cause = cause.getCause();
    }
    return message == null ? failure.getClass().getSimpleName() : message;
  }

  private Look look(Project project, Map<String, String> known, Scheduled before) throws Exception {
    boolean firstLook = known.isEmpty();
    List<Found> found = new ArrayList<>();
    Map<String, String> heads = remote.heads(project.url());
    for (Map.Entry<String, String> head : heads.entrySet()) {
      if (head.getKey().startsWith("refs/heads/")
          && Glob.anyMatches(project.branches(), head.getKey().substring("refs/heads/".length()))) {
        String seen = head.getKey() + " " + head.getValue();
        context.runOnContext(v -> health.get(project.name()).lastCommit = seen);
      }
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
        found.add(new Found(ref, sha, null, false, "existing tag", null));
        continue;
      }
      remote.fetch(project.url(), sha);
      String yaml = remote.read(project.url(), sha, project.file());
      if (yaml == null) {
        found.add(new Found(ref, sha, null, false, "no " + project.file() + " at " + sha, null));
        continue;
      }
      SourceSpec.Commit commit = remote.commit(project.url(), sha);
      List<String> changed = known.get(ref) == null ? null : remote.changedFiles(project.url(), known.get(ref), sha);
      try {
        Pipeline pipeline = new PipelineReader(limits).read(project.file(), yaml);
        boolean start = pipeline.on().push() != null && pipeline.on().push().matches(ref, changed);
        found.add(new Found(ref, sha, yaml, start, start ? null : "its on.push filters skip this push", commit));
      } catch (PipelineException invalid) {
        // Submitted anyway: the refusal lists every problem in the orchestrator's log.
        found.add(new Found(ref, sha, yaml, true, null, commit));
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
      return new Scheduled(ref, sha, null, List.of(), null);
    }
    SourceSpec.Commit commit = remote.commit(project.url(), sha);
    try {
      return new Scheduled(ref, sha, yaml, new PipelineReader(limits).read(project.file(), yaml).on().schedules(), commit);
    } catch (PipelineException invalid) {
      return new Scheduled(ref, sha, yaml, List.of(), commit);
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
        chain = chain.compose(v -> submitRun(project, plan.ref(), plan.sha(), plan.commit(), plan.yaml(), Trigger.CRON,
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
    return submitRun(project, push.ref(), push.sha(), push.commit(), push.yaml(), Trigger.PUSH, "push to " + push.ref())
        .compose(v -> store.saveDiscoveredHead(project.name(), push.ref(), push.sha()));
  }

  /** @param ref the ref the commit is on ({@code refs/heads/main}): the run's branch picks where it deploys */
  private Future<Void> submitRun(Project project, String ref, String sha, SourceSpec.Commit commit, String yaml,
      Trigger trigger, String why) {
    SubmitRun run = new SubmitRun(project.name(), project.file(), yaml,
        new SourceSpec(SourceSpec.GIT, project.url(), sha, ref, commit), trigger, why);
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
