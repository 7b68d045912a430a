package org.buildswarm.orchestrator.discovery;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.discovery.impl.GitRemote;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.SubmitResult;
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

  /** What one poll found on one ref. */
  private record Found(String ref, String sha, String yaml, boolean start, String why) {}

  public DiscoveryVerticle(List<Project> projects, Store store, Path mirrorRoot, PipelineLimits limits) {
    this.projects = List.copyOf(projects);
    this.store = store;
    this.mirrorRoot = mirrorRoot;
    this.limits = limits;
  }

  @Override
  public Future<?> start() {
    remote = new GitRemote(mirrorRoot);
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
    return Future.succeededFuture();
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
        .compose(known -> vertx.executeBlocking(() -> look(project, known), false))
        .compose(found -> startRuns(project, found))
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

  private List<Found> look(Project project, Map<String, String> known) throws Exception {
    boolean firstLook = known.isEmpty();
    List<Found> found = new ArrayList<>();
    for (Map.Entry<String, String> head : remote.heads(project.url()).entrySet()) {
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
    return found;
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
    SubmitRun run = new SubmitRun(project.name(), project.file(), push.yaml(),
        new SourceSpec(SourceSpec.GIT, project.url(), push.sha()), Trigger.PUSH, "push to " + push.ref());
    return vertx.eventBus().<SubmitResult>request(Addresses.RUN_SUBMIT, run,
            new DeliveryOptions().setSendTimeout(SUBMIT_TIMEOUT_MS))
        .compose(reply -> {
          SubmitResult result = reply.body();
          if (result.isValid()) {
            LOG.info(project.name() + ": run " + result.runId() + " for " + push.ref() + " at " + push.sha());
          } else {
            LOG.warning(project.name() + ": the pipeline at " + push.sha() + " (" + push.ref() + ") is invalid: "
                + result.problems());
          }
          return store.saveDiscoveredHead(project.name(), push.ref(), push.sha());
        });
  }
}
