package org.buildswarm.orchestrator;

import org.buildswarm.protocol.message.DroneCommand;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.core.DroneRoster;
import org.buildswarm.orchestrator.core.Effects;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.core.StoredViews;
import org.buildswarm.orchestrator.metrics.SwarmMetrics;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.RunPlan;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.store.EventJournal;
import org.buildswarm.orchestrator.store.NewRun;
import org.buildswarm.orchestrator.store.PipelineText;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.EventPage;
import org.buildswarm.protocol.api.GetRun;
import org.buildswarm.protocol.api.GetRunEvents;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.GetQueue;
import org.buildswarm.protocol.api.RerunRequest;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.SetDroneMode;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.api.CreateToken;
import org.buildswarm.protocol.api.DeleteToken;
import org.buildswarm.protocol.api.TokenList;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.api.TokensChanged;
import org.buildswarm.protocol.api.VerifyJobToken;
import org.buildswarm.protocol.api.VerifyToken;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineReader;

/**
 * The orchestrator node: puts the {@link OrchestratorCore} on the event bus. It owns the store,
 * resumes unfinished runs at start, turns drone and API messages into core calls, and carries the
 * core's effects out (assignments with ack timeouts, cancels, event log, live events).
 */
public final class OrchestratorVerticle extends VerticleBase implements Effects {
  private static final Logger LOG = Logger.getLogger(OrchestratorVerticle.class.getName());

  private final OrchestratorOptions options;
  private final Store store;
  private final SwarmMetrics metrics;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private OrchestratorCore core;
  private EventJournal journal;
  private final io.vertx.core.Promise<Void> fenced = io.vertx.core.Promise.promise();
  private org.buildswarm.orchestrator.ha.ClusterLeadership leadership;
  private long tickTimer = -1;
  private long checkTimer = -1;
  private static final long SELF_CHECK_MS = 5_000;
  /** Most stored attempts a starting leader learns job durations from (the newest ones). */
  private static final int DURATION_HISTORY = 20_000;
  /** How long a stopping orchestrator waits for the event journal to reach the store before giving up on it. */
  private static final long STOP_DRAIN_MS = 10_000;
  private boolean scheduleQueued;

  /** @param store owned by this verticle from now on: started here and closed on undeploy */
  public OrchestratorVerticle(OrchestratorOptions options, Store store) {
    this(options, store, null);
  }

  /**
   * @param store owned by this verticle from now on: started here and closed on undeploy
   * @param metrics the process's swarm metrics (scraped through {@link Addresses#METRICS}); null for none
   */
  public OrchestratorVerticle(OrchestratorOptions options, Store store,
      SwarmMetrics metrics) {
    this(options, store, metrics, null);
  }

  /**
   * @param leadership this node's hold on the swarm's leadership, kept across its terms; null for a
   *     new one
   */
  public OrchestratorVerticle(OrchestratorOptions options, Store store, SwarmMetrics metrics,
      org.buildswarm.orchestrator.ha.ClusterLeadership leadership) {
    this.options = options;
    this.store = store;
    this.metrics = metrics;
    this.leadership = leadership;
  }

  /**
   * Completes if this orchestrator must stop leading: the store refuses its writes because a newer
   * one took over, or another took its leadership record.
   */
  public Future<Void> fenced() {
    return fenced.future();
  }

  /** The core, for in-process inspection (tests, metrics); use only on this verticle's context. */
  public OrchestratorCore core() {
    return core;
  }

  @Override
  public Future<?> start() {
    journal = new EventJournal(vertx, store, options.journalBatch());
    journal.onFenced(failure -> fenced.tryComplete());
    if (leadership == null) {
      leadership = new org.buildswarm.orchestrator.ha.ClusterLeadership(vertx);
    }
    return store.start()
        // One leader per swarm, whatever its store: two would hand out the same run ids.
        .compose(v -> store.identity())
        .compose(identity -> leadership.claim(options.nodeName(), identity, store.description()))
        .onSuccess(v -> leadership.lost().onComplete(lost -> fenced.tryComplete()))
        .compose(v -> store.beginEpoch(options.nodeName()))
        .compose(epoch -> {
          core = new OrchestratorCore(options.core(), new BestFitScheduler(), System::currentTimeMillis, this, epoch,
              new org.buildswarm.protocol.auth.JobTokens(options.credentials()));
          return store.environments();
        })
        .compose(environments -> {
          core.restoreEnvironments(environments);
          // Without them a new leader would rank the first runs after a restart as if every job took the
          // default estimate: the critical path first only once the jobs had run again.
          return store.recentDurations(DURATION_HISTORY);
        })
        .compose(durations -> {
          core.learnDurations(durations);
          return store.loadActiveRuns();
        })
        .compose(active -> store.drones().map(drones -> {
          java.util.Map<String, org.buildswarm.protocol.DroneMode> modes = new java.util.HashMap<>();
          drones.stream().filter(d -> d.operatorMode() != null).forEach(d -> modes.put(d.name(), d.operatorMode()));
          core.drones().restoreOperatorModes(modes);
          return active;
        }))
        .compose(active -> {
          core.resumeRuns(active);
          if (!active.isEmpty()) {
            LOG.info("resumed " + active.size() + " unfinished run(s) in epoch " + core.epoch());
          }
          registerConsumers();
          tickTimer = vertx.setPeriodic(options.tickIntervalMs(), id -> {
            core.tick();
            scheduleSoon();
            if (metrics != null) {
              metrics.refresh(core.status(options.nodeName(), !journal.failing(), journal.backlog()), core.droneList());
            }
          });
          checkTimer = vertx.setPeriodic(SELF_CHECK_MS, id -> checkReachable());
          return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
        })
        // Only the leader looks for work; as a child it stops with this verticle when leadership goes.
        // Deployed with no projects too: it answers the projects list and refuses webhooks with a reason.
        .compose(v -> vertx.deployVerticle(
            new org.buildswarm.orchestrator.discovery.DiscoveryVerticle(options.projects(), store,
                options.discoveryDirectory(), options.pipelineLimits(), metrics == null ? null : metrics.registry())))
        .onSuccess(v -> LOG.info("orchestrator up, epoch " + core.epoch()))
        // A start that fails (another leads, the store is away) leaves nothing open behind it.
        .recover(failure -> {
          vertx.cancelTimer(tickTimer);
          vertx.cancelTimer(checkTimer);
          return Future.join(consumers.stream().map(MessageConsumer::unregister).toList())
              .eventually(store::close)
              .eventually(() -> leadership.release())
              .transform(ignored -> Future.failedFuture(failure));
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(checkTimer);
    List<Future<Void>> unregistered = consumers.stream().map(MessageConsumer::unregister).toList();
    return Future.join(unregistered)
        .eventually(() -> journal == null ? Future.succeededFuture() : journal.drain(STOP_DRAIN_MS)
            .onFailure(late -> LOG.warning("stopping: " + late.getMessage())))
        .eventually(() -> {
          if (journal != null) {
            journal.close();
          }
          return store.close();
        })
        .eventually(() -> leadership == null ? Future.succeededFuture() : leadership.release());
  }

  /**
   * Whether the cluster still routes the orchestrator's addresses here. After a partition heals a
   * subscription can go missing; then every consumer is registered again.
   */
  private void checkReachable() {
    vertx.eventBus().request(Addresses.STATUS, new GetStatus(), new DeliveryOptions().setSendTimeout(SELF_CHECK_MS))
        .onFailure(failure -> {
          if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
            LOG.warning("the cluster lost the orchestrator's subscriptions; subscribing again");
            List<MessageConsumer<?>> old = new ArrayList<>(consumers);
            consumers.clear();
            Future.join(old.stream().map(MessageConsumer::unregister).toList()).onComplete(done -> registerConsumers());
          }
        });
  }

  private void registerConsumers() {
    // Drones
    this.<RegisterDrone>on(Addresses.DRONE_REGISTER, message -> {
      DroneRoster.Registration registration = core.drones().register(message.body());
      if (registration.accepted() != null) {
        message.reply(registration.accepted());
        scheduleSoon();
      } else {
        LOG.warning("refused drone " + message.body().drone() + ": " + registration.refusal());
        message.fail(ApiFailures.FORBIDDEN, registration.refusal());
      }
    });
    this.<Heartbeat>on(Addresses.DRONE_HEARTBEAT, message -> {
      message.reply(core.drones().heartbeat(message.body()));
      scheduleSoon();
    });
    this.<JobStarted>on(Addresses.JOB_STARTED, message -> message.reply(core.started(message.body())));
    this.<org.buildswarm.protocol.message.JobStepsEnded>on(Addresses.JOB_STEPS_ENDED, message -> {
      message.reply(core.stepsEnded(message.body()));
      scheduleSoon(); // its cores are free
    });
    this.<JobFinished>on(Addresses.JOB_FINISHED, message -> {
      JobFinished report = message.body();
      if (report.jobSet() != null && report.outcome() == org.buildswarm.protocol.message.JobOutcome.SUCCEEDED
          && core.awaits(report)) {
        planJobSet(report).onComplete(planned -> {
          // The drone resends until acknowledged, so acknowledge only what is durably written.
          replyWhenWritten(message, core.finished(report, planned.result()));
          scheduleSoon();
        });
        return;
      }
      replyWhenWritten(message, core.finished(report));
      scheduleSoon();
    });

    // API (through the gateway)
    this.<SubmitRun>on(Addresses.RUN_SUBMIT, this::submit);
    this.<RunQuery>on(Addresses.RUN_LIST, message -> reply(message, listRuns(message.body())));
    this.<GetRun>on(Addresses.RUN_GET, message -> {
      long runId = message.body().runId();
      reply(message, core.runDetail(runId).map(Future::succeededFuture).orElseGet(() -> store.findRun(runId)
          .compose(found -> found.isPresent()
              ? Future.succeededFuture(StoredViews.detail(found.get()))
              : Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ApiFailures.NOT_FOUND, "no run " + runId)))));
    });
    this.<GetRunEvents>on(Addresses.RUN_EVENTS_GET, message -> {
      GetRunEvents query = message.body();
      int limit = query.limit() <= 0 ? 1000 : Math.min(query.limit(), 10_000);
      // The event log is written behind the core: read it only once it holds everything the core had
      // recorded when asked, or a run already shown as finished would lack its last events. While the
      // store is away, serve what it has rather than wait for it.
      reply(message, caughtUp().compose(written -> store.events(query.runId(), query.afterSeq(), limit))
          .map(EventPage::new));
    });
    this.<org.buildswarm.protocol.api.GetJobTests>on(Addresses.JOB_TESTS_GET, message -> {
      org.buildswarm.protocol.api.GetJobTests query = message.body();
      // Results are stored with the final report, behind the core: read once the store has what the core had.
      reply(message, caughtUp().compose(written -> store.testResults(query.jobId(), query.attempt()))
          .compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
              : refusal(ApiFailures.NOT_FOUND, "no test results for job " + query.jobId()
                  + (query.attempt() == null ? "" : " attempt " + query.attempt())
                  + " (it declares no reports:, has not finished, or is not a job)")));
    });
    this.<CancelRequest>on(Addresses.CANCEL, message -> {
      if (refuseWhileStoreIsAway(message)) {
        return;
      }
      if (core.cancel(message.body())) {
        replyWhenWritten(message, core.runDetail(message.body().runId()).orElseThrow());
        scheduleSoon();
      } else {
        message.fail(ApiFailures.NOT_FOUND, "no active run " + message.body().runId()
            + (message.body().jobId() == null ? "" : " with job " + message.body().jobId()));
      }
    });
    on(Addresses.DRONE_LIST, message -> message.reply(core.droneList()));
    this.<org.buildswarm.protocol.api.ListEnvironments>on(Addresses.ENVIRONMENT_LIST, message ->
        reply(message, environments(message.body())));
    this.<org.buildswarm.protocol.api.RollbackEnvironment>on(Addresses.ENVIRONMENT_ROLLBACK, this::rollbackEnvironment);
    this.<org.buildswarm.protocol.api.DecideJob>on(Addresses.JOB_DECIDE, message -> {
      if (refuseWhileStoreIsAway(message)) {
        return;
      }
      org.buildswarm.protocol.api.DecideJob request = message.body();
      String refused = core.decide(request.jobId(), request.decision(), request.requestedBy());
      if (refused != null) {
        message.fail(ApiFailures.CONFLICT, refused);
      } else {
        replyWhenWritten(message, core.runDetail(request.runId()).orElseThrow());
        scheduleSoon();
      }
    });
    this.<GetQueue>on(Addresses.QUEUE_LIST, message -> message.reply(core.queue(
        message.body().limit() <= 0 ? GetQueue.DEFAULT_LIMIT : Math.min(message.body().limit(), 10_000))));
    this.<RerunRequest>on(Addresses.RUN_RERUN, this::rerun);
    this.<org.buildswarm.protocol.api.RetryRequest>on(Addresses.RUN_RETRY, this::retry);
    on(Addresses.METRICS, message -> message.reply(new org.buildswarm.protocol.api.MetricsText(
        metrics == null ? "" : metrics.scrape())));
    this.<SetDroneMode>on(Addresses.DRONE_MODE, message -> {
      SetDroneMode request = message.body();
      if (refuseWhileStoreIsAway(message)) {
        return;
      }
      core.drones().setMode(request.drone(), request.mode(), request.requestedBy()).ifPresentOrElse(view -> {
        replyWhenWritten(message, view);
        scheduleSoon();
      }, () -> message.fail(ApiFailures.NOT_FOUND, "no drone " + request.drone()));
    });
    on(Addresses.STATUS, message -> message.reply(core.status(options.nodeName(), !journal.failing(), journal.backlog())));
    this.<VerifyToken>on(Addresses.TOKEN_VERIFY, message -> reply(message,
        store.findToken(message.body().tokenSha256()).compose(found -> found.isPresent()
            ? Future.succeededFuture(found.get())
            : refusal(ApiFailures.UNAUTHORIZED, "unknown token"))));
    this.<VerifyJobToken>on(Addresses.JOB_TOKEN_VERIFY, message -> core.verifyJobToken(message.body().jobToken())
        .ifPresentOrElse(message::reply, () -> message.fail(ApiFailures.UNAUTHORIZED,
            "the job token is not valid, or its attempt is no longer current")));
    on(Addresses.TOKEN_LIST, message -> reply(message, store.listTokens().map(TokenList::new)));
    this.<CreateToken>on(Addresses.TOKEN_CREATE, message -> {
      CreateToken request = message.body();
      reply(message, store.saveToken(request.tokenSha256(), request.name(), request.role()).compose(saved -> {
        if (!saved) {
          return refusal(ApiFailures.CONFLICT, "a token named \"" + request.name() + "\" exists; revoke it first or choose "
              + "another name");
        }
        LOG.info(request.requestedBy() + " created API token \"" + request.name() + "\" (" + request.role() + ")");
        return Future.succeededFuture(new TokenSummary(request.name(), request.role(), System.currentTimeMillis()));
      }));
    });
    this.<DeleteToken>on(Addresses.TOKEN_DELETE, message -> {
      DeleteToken request = message.body();
      reply(message, store.listTokens().compose(tokens -> {
        TokenSummary token = tokens.stream().filter(t -> t.name().equals(request.name())).findFirst().orElse(null);
        if (token == null) {
          return refusal(ApiFailures.NOT_FOUND, "no API token named \"" + request.name() + "\"");
        }
        return store.deleteToken(request.name()).compose(deleted -> {
          if (!deleted) {
            return refusal(ApiFailures.CONFLICT, "\"" + request.name() + "\" is the last admin token; create another admin "
                + "token before revoking it");
          }
          LOG.info(request.requestedBy() + " revoked API token \"" + request.name() + "\"");
          vertx.eventBus().publish(Addresses.TOKENS_CHANGED, new TokensChanged(request.name()));
          return Future.succeededFuture(token);
        });
      }));
    });
  }

  private void submit(Message<SubmitRun> message) {
    submit(message.body(), message::reply, message::fail);
  }

  private void submit(SubmitRun request, java.util.function.Consumer<Object> reply,
      java.util.function.BiConsumer<Integer, String> fail) {
    String file = request.file() == null ? PipelineReader.DEFAULT_FILE : request.file();
    OrchestratorCore history = core;
    // Parsing and planning are CPU work proportional to the file: keep them off the event loop.
    vertx.executeBlocking(() -> {
      try {
        Pipeline pipeline = new PipelineReader(options.pipelineLimits()).read(file, request.pipelineYaml());
        String project = request.project() == null || request.project().isBlank() ? pipeline.name() : request.project();
        Planner planner = new Planner(options.planner(), group -> history.estimateMs(project, group));
        return new Parsed(planner.plan(pipeline, request.source().branch()), null);
      } catch (PipelineException e) {
        return new Parsed(null, e);
      }
    }, false).compose(parsed -> {
      if (parsed.problems() != null) {
        return Future.succeededFuture(SubmitResult.invalid(parsed.problems().problems()));
      }
      RunPlan plan = parsed.plan();
      String project = request.project() == null || request.project().isBlank() ? plan.pipelineName() : request.project();
      String badName = org.buildswarm.protocol.ProjectNames.problem(project);
      if (badName != null) {
        return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ApiFailures.BAD_REQUEST,
            badName + (request.project() == null || request.project().isBlank() ? " (it is the pipeline's name:)" : "")));
      }
      List<org.buildswarm.orchestrator.plan.PlannedJob> jobs = request.ignoreCache()
          ? plan.jobs().stream().map(org.buildswarm.orchestrator.plan.PlannedJob::ignoringCache).toList() : plan.jobs();
      NewRun run = new NewRun(project, plan.pipelineName(), file, request.pipelineYaml(), request.source(),
          request.trigger(), request.requestedBy(), System.currentTimeMillis(), jobs, plan.concurrencyGroup(),
          plan.cancelInProgress());
      return store.createRun(run).compose(created -> store.findRun(created.runId())).map(stored -> {
        core.addRun(stored.orElseThrow());
        scheduleSoon();
        return SubmitResult.created(stored.get().id());
      });
    }).onComplete(result -> {
      if (result.succeeded()) {
        reply.accept(result.result());
      } else if (result.cause() instanceof org.buildswarm.orchestrator.store.FencedException) {
        fenced.tryComplete();
        fail.accept(ApiFailures.UNAVAILABLE, "this orchestrator is no longer the leader; try again");
      } else if (result.cause() instanceof ReplyException refused) {
        fail.accept(refused.failureCode(), refused.getMessage());
      } else {
        LOG.log(Level.WARNING, "could not store a run", result.cause());
        // The store's own words (SQL, driver messages) go to the log, not to whoever submitted.
        fail.accept(ApiFailures.UNAVAILABLE, "the run could not be stored; nothing was accepted, try again shortly");
      }
    });
  }

  private record Parsed(RunPlan plan, PipelineException problems) {}

  /** Validates and plans the job set a report carries, off the event loop; a bad one is refused with its positions. */
  private Future<org.buildswarm.orchestrator.plan.JobSetPlan> planJobSet(JobFinished report) {
    String file = core.jobSetPath(report.attempt().jobId());
    return vertx.executeBlocking(() -> {
      try {
        Pipeline jobSet = new PipelineReader(options.pipelineLimits()).readJobSet(file, report.jobSet());
        return new org.buildswarm.orchestrator.plan.JobSetPlan(new Planner(options.planner()).plan(jobSet).jobs(), null);
      } catch (PipelineException e) {
        List<String> problems = e.problems().stream().limit(5).map(Object::toString).toList();
        return org.buildswarm.orchestrator.plan.JobSetPlan.refused(String.join("; ", problems)
            + (e.problems().size() > 5 ? "; and " + (e.problems().size() - 5) + " more" : ""));
      }
    }, false).recover(failure -> Future.succeededFuture(
        org.buildswarm.orchestrator.plan.JobSetPlan.refused("it could not be read: " + failure)));
  }

  /** Each environment's pointers (fresh from the core) with its history (from the store). */
  private Future<org.buildswarm.protocol.api.EnvironmentList> environments(
      org.buildswarm.protocol.api.ListEnvironments query) {
    int limit = query.historyLimit() <= 0 ? org.buildswarm.protocol.api.ListEnvironments.DEFAULT_HISTORY
        : Math.min(query.historyLimit(), 1000);
    List<org.buildswarm.protocol.api.EnvironmentView> known = core.environments(query.project());
    List<Future<org.buildswarm.protocol.api.EnvironmentView>> withHistory = new ArrayList<>();
    for (var environment : known) {
      withHistory.add(store.deployments(environment.project(), environment.name(), limit).map(history ->
          new org.buildswarm.protocol.api.EnvironmentView(environment.project(), environment.name(),
              environment.currentVersion(), environment.currentRun(), environment.previousVersion(),
              environment.previousRun(), environment.deployingRun(), environment.updatedAt(), history)));
    }
    return Future.all(withHistory).map(all -> new org.buildswarm.protocol.api.EnvironmentList(all.list()));
  }

  /** Instant rollback: to the named version if the environment ran it before, else to its previous one. */
  private void rollbackEnvironment(Message<org.buildswarm.protocol.api.RollbackEnvironment> message) {
    if (refuseWhileStoreIsAway(message)) {
      return;
    }
    var request = message.body();
    Future<Long> deployedBy = request.version() == null ? Future.succeededFuture(null)
        : store.deployments(request.project(), request.environment(), 10_000).compose(history -> history.stream()
            .filter(entry -> entry.version().equals(request.version())
                && ("SUCCEEDED".equals(entry.state()) || "ACTIVATED".equals(entry.state())))
            .findFirst()
            .map(entry -> Future.succeededFuture(entry.runId()))
            .orElseGet(() -> refusal(ApiFailures.NOT_FOUND, request.environment() + " never ran version "
                + request.version() + "; only versions it ran can be rolled back to")));
    reply(message, deployedBy.compose(run -> {
      String refused = core.rollbackEnvironment(request.project(), request.environment(), request.version(), run,
          request.requestedBy());
      if (refused != null) {
        return refusal(refused.contains("has no environment") ? ApiFailures.NOT_FOUND : ApiFailures.CONFLICT, refused);
      }
      return journal.whenWritten(journal.appended()).compose(written -> environments(
          new org.buildswarm.protocol.api.ListEnvironments(request.project(), 0)));
    }));
  }

  /** The same pipeline file, from the same source, as a new manual run (planned afresh, with today's estimates). */
  private void rerun(Message<RerunRequest> message) {
    RerunRequest request = message.body();
    if (refuseWhileStoreIsAway(message)) {
      return;
    }
    store.findPipeline(request.runId()).onComplete(found -> {
      if (found.failed()) {
        message.fail(ApiFailures.UNAVAILABLE, "the run could not be read: " + found.cause().getMessage());
      } else if (found.result().isEmpty()) {
        message.fail(ApiFailures.NOT_FOUND, "no run " + request.runId());
      } else {
        PipelineText original = found.result().get();
        submit(new SubmitRun(original.project(), original.file(), original.yaml(), original.source(), Trigger.MANUAL,
            request.requestedBy(), request.ignoreCache()), message::reply, message::fail);
      }
    });
  }

  /**
   * Runs failed jobs (or one job) of a run again within the run. A finished run the core no longer
   * holds is taken back from the store first, once the store has everything the core recorded.
   */
  private void retry(Message<org.buildswarm.protocol.api.RetryRequest> message) {
    var request = message.body();
    if (refuseWhileStoreIsAway(message)) {
      return;
    }
    Future<Boolean> known = core.tracks(request.runId()) ? Future.succeededFuture(true)
        : caughtUp().compose(written -> store.findRun(request.runId())).map(found -> {
          if (found.isPresent() && !core.tracks(request.runId())) {
            if (!found.get().state().isTerminal()) {
              throw new IllegalStateException("run " + request.runId() + " was submitted a moment ago; try again");
            }
            core.readmitFinished(found.get());
          }
          return found.isPresent();
        });
    known.onComplete(found -> {
      if (found.failed()) {
        message.fail(found.cause() instanceof IllegalStateException ? ApiFailures.CONFLICT : ApiFailures.UNAVAILABLE,
            found.cause() instanceof IllegalStateException ? found.cause().getMessage()
                : "the run could not be read: " + found.cause().getMessage());
        return;
      }
      if (!found.result()) {
        message.fail(ApiFailures.NOT_FOUND, "no run " + request.runId());
        return;
      }
      org.buildswarm.orchestrator.core.RetryOutcome outcome = request.jobId() == null
          ? core.retryFailed(request.runId(), request.requestedBy())
          : core.retryJob(request.runId(), request.jobId(), request.requestedBy());
      switch (outcome.status()) {
        case NOT_FOUND -> message.fail(ApiFailures.NOT_FOUND, outcome.message());
        case REFUSED -> message.fail(ApiFailures.CONFLICT, outcome.message());
        case RETRIED -> {
          LOG.info(request.requestedBy() + " retried " + outcome.jobs() + " of run " + request.runId());
          replyWhenWritten(message, core.runSummary(request.runId()).orElseThrow());
          scheduleSoon();
        }
      }
    });
  }

  private Future<RunPage> listRuns(RunQuery query) {
    return caughtUp().compose(written -> store.listRuns(query)).map(page -> {
      List<RunSummary> fresh = new ArrayList<>(page.runs().size());
      for (RunSummary summary : page.runs()) {
        fresh.add(core.runSummary(summary.id()).orElse(summary));
      }
      return new RunPage(fresh, page.nextBefore());
    });
  }

  /** Runs one scheduling round after the current event, however many events asked for one. */
  private void scheduleSoon() {
    if (!scheduleQueued) {
      scheduleQueued = true;
      context.runOnContext(v -> {
        scheduleQueued = false;
        core.schedule();
      });
    }
  }

  // ---- Effects ---------------------------------------------------------------------------------

  @Override
  public void assign(String drone, AssignJob assignment, boolean onceRecorded) {
    if (!onceRecorded) {
      assign(drone, assignment);
      return;
    }
    journal.whenWritten(journal.appended()).onComplete(written -> {
      if (written.succeeded()) {
        assign(drone, assignment);
      } else {
        core.assignNotSent(drone, assignment.attempt(), "its assignment could not be stored first: "
            + written.cause().getMessage());
        scheduleSoon();
      }
    });
  }

  @Override
  public void assign(String drone, AssignJob assignment) {
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(options.assignAckTimeoutMs());
    vertx.eventBus().<AssignReply>request(Addresses.drone(drone), withGitCredentials(assignment), delivery).onComplete(result -> {
      if (result.succeeded()) {
        core.assignAcknowledged(drone, assignment.attempt(), result.result().body());
      } else {
        if (result.cause() instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
          core.drones().unreachable(drone);
        }
        // Without an answer in time the drone may have it running; refused or undeliverable, it has not.
        boolean mayHaveStarted = result.cause() instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT;
        core.assignFailed(drone, assignment.attempt(), result.cause().getMessage(), mayHaveStarted);
      }
      scheduleSoon();
    });
  }

  @Override
  public void command(String drone, DroneCommand command) {
    vertx.eventBus().send(Addresses.drone(drone), command);
  }

  @Override
  public void record(StateChange change) {
    journal.append(change);
    if (metrics != null) {
      metrics.observe(change);
    }
  }

  @Override
  public void recordTogether(List<StateChange> changes) {
    journal.appendTogether(changes);
    if (metrics != null) {
      changes.forEach(metrics::observe);
    }
  }

  @Override
  public void publish(RunEvent event) {
    vertx.eventBus().publish(Addresses.RUN_EVENTS, event);
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  /**
   * A job of a watched private repository travels with what reading it takes (never stored: the
   * core and the store know only the source's URL).
   */
  private AssignJob withGitCredentials(AssignJob assignment) {
    org.buildswarm.protocol.message.SourceSpec source = assignment.execution().source();
    if (!org.buildswarm.protocol.message.SourceSpec.GIT.equals(source.kind())) {
      return assignment;
    }
    for (org.buildswarm.orchestrator.discovery.Project project : options.projects()) {
      if (project.credentials() != null
          && org.buildswarm.orchestrator.discovery.Projects.sameRepository(project.url(), source.location())) {
        return assignment.withGitCredentials(project.credentials());
      }
    }
    return assignment;
  }

  /** A user's change that could not be kept is refused (503) rather than half accepted. */
  private boolean refuseWhileStoreIsAway(Message<?> message) {
    if (journal.failing()) {
      message.fail(ApiFailures.UNAVAILABLE, "the store is not available; nothing was changed, try again shortly");
      return true;
    }
    return false;
  }

  /** Completes once the store holds every change recorded so far, or at once while the store is away. */
  private Future<Void> caughtUp() {
    return journal.failing() ? Future.succeededFuture() : journal.whenWritten(journal.appended());
  }

  /** Replies once every state change made so far is in the store; fails after a while if the store is away. */
  private void replyWhenWritten(Message<?> message, Object reply) {
    journal.whenWritten(journal.appended()).onComplete(written -> {
      if (written.succeeded()) {
        message.reply(reply);
      } else {
        message.fail(ApiFailures.UNAVAILABLE, "the store is not available: " + written.cause().getMessage());
      }
    });
  }

  private <T> void on(String address, Handler<Message<T>> handler) {
    EventBus bus = vertx.eventBus();
    MessageConsumer<T> consumer = bus.consumer(address, message -> {
      try {
        handler.handle(message);
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "handling a message on " + address + " failed", e);
        message.fail(ApiFailures.INTERNAL, e.toString());
      }
    });
    consumers.add(consumer);
  }

  private static <T> Future<T> refusal(int code, String reason) {
    return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, reason));
  }

  private static <T> void reply(Message<?> message, Future<T> result) {
    result.onComplete(done -> {
      if (done.succeeded()) {
        message.reply(done.result());
      } else if (done.cause() instanceof ReplyException failure) {
        message.fail(failure.failureCode(), failure.getMessage());
      } else {
        message.fail(ApiFailures.UNAVAILABLE, String.valueOf(done.cause().getMessage()));
      }
    });
  }

}
