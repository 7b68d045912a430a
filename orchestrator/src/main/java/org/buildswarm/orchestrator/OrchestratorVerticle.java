package org.buildswarm.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.core.Effects;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.impl.DroneEndpoints;
import org.buildswarm.orchestrator.impl.Endpoints;
import org.buildswarm.orchestrator.impl.EnvironmentEndpoints;
import org.buildswarm.orchestrator.impl.RunEndpoints;
import org.buildswarm.orchestrator.impl.TokenEndpoints;
import org.buildswarm.orchestrator.metrics.SwarmMetrics;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.store.EventJournal;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.DroneCommand;

/**
 * The orchestrator node: puts the {@link OrchestratorCore} on the event bus. It owns the store and
 * the leadership, resumes unfinished runs at start, and carries the core's effects out (assignments
 * with ack timeouts, commands, event log, live events). What arrives on the bus is the endpoints'
 * ({@code impl.DroneEndpoints}, {@code RunEndpoints}, {@code EnvironmentEndpoints}, {@code TokenEndpoints}).
 */
public final class OrchestratorVerticle extends VerticleBase implements Effects {
  private static final Logger LOG = Logger.getLogger(OrchestratorVerticle.class.getName());

  private final OrchestratorOptions options;
  private final Store store;
  private final SwarmMetrics metrics;
  private Endpoints endpoints;
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
          return Future.all(consumers().stream().map(MessageConsumer::completion).toList());
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
          return Future.join(consumers().stream().map(MessageConsumer::unregister).toList())
              .eventually(store::close)
              .eventually(() -> leadership.release())
              .transform(ignored -> Future.failedFuture(failure));
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(checkTimer);
    List<Future<Void>> unregistered = consumers().stream().map(MessageConsumer::unregister).toList();
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
            List<MessageConsumer<?>> old = new ArrayList<>(consumers());
            Future.join(old.stream().map(MessageConsumer::unregister).toList()).onComplete(done -> registerConsumers());
          }
        });
  }

  /** The endpoints, each for one side of the orchestrator; the verticle itself answers only status and metrics. */
  private void registerConsumers() {
    endpoints = new Endpoints(vertx, journal, this::scheduleSoon);
    new DroneEndpoints(endpoints, core, options).register();
    new RunEndpoints(endpoints, core, store, options, fenced::tryComplete).register();
    new EnvironmentEndpoints(endpoints, core, store).register();
    new TokenEndpoints(endpoints, core, store).register();
    endpoints.on(Addresses.STATUS, message -> message.reply(core.status(options.nodeName(), !journal.failing(),
        journal.backlog())));
    endpoints.on(Addresses.METRICS, message -> message.reply(new org.buildswarm.protocol.api.MetricsText(
        metrics == null ? "" : metrics.scrape())));
  }

  private List<MessageConsumer<?>> consumers() {
    return endpoints == null ? List.of() : endpoints.consumers();
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
}
