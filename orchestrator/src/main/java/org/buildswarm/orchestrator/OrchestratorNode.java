package org.buildswarm.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.ha.LeaderLock;
import org.buildswarm.orchestrator.metrics.SwarmMetrics;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.impl.PgStoreOptions;

/**
 * An orchestrator process. With leader election (several orchestrators on one PostgreSQL), it
 * stands by until it holds the leader lock, then runs an {@link OrchestratorVerticle} — which
 * begins a new epoch, resumes from the store and subscribes to the orchestrator's addresses, so
 * drones and gateways follow it without being told. If it loses the lock, or the store fences it
 * off because another orchestrator began a newer epoch, it stops leading and stands by again.
 * Without election it simply leads.
 */
public final class OrchestratorNode extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(OrchestratorNode.class.getName());
  private static final long CAMPAIGN_INTERVAL_MS = 1_000;
  private static final long REFUSED_RETRY_MS = 5_000;

  private final OrchestratorOptions options;
  private final Supplier<Store> stores;
  private final PgStoreOptions election;
  private final SwarmMetrics metrics;
  private LeaderLock lock;
  /** Its hold on the swarm's leadership record, kept across its terms. */
  private org.buildswarm.orchestrator.ha.ClusterLeadership leadership;
  private String leading;
  private boolean stopping;
  private long campaignTimer = -1;
  /** Counts terms of leadership, so a signal from an earlier term cannot end a later one. */
  private long term;
  /** Why leading was last refused (another orchestrator leads), said once rather than every campaign. */
  private String lastRefusal;
  /** When to campaign again after a refusal. */
  private long retryInMs;

  /**
   * @param stores a fresh store for each time this node starts leading
   * @param election where the leader lock lives; null to lead without election (one orchestrator)
   */
  public OrchestratorNode(OrchestratorOptions options, Supplier<Store> stores, PgStoreOptions election,
      SwarmMetrics metrics) {
    this.options = options;
    this.stores = stores;
    this.election = election;
    this.metrics = metrics;
  }

  /** Whether this node is the leader now. */
  public boolean isLeading() {
    return leading != null;
  }

  @Override
  public Future<?> start() {
    if (election == null) {
      return lead();
    }
    lock = new LeaderLock(vertx, election);
    LOG.info("orchestrator " + options.nodeName() + " standing by for the leader lock");
    campaign();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(campaignTimer);
    Future<Void> undeployed = leading == null ? Future.succeededFuture() : vertx.undeploy(leading);
    return undeployed.eventually(() -> lock == null ? Future.succeededFuture() : lock.release());
  }

  private void campaign() {
    if (stopping || leading != null) {
      return;
    }
    lock.tryAcquire().onComplete(result -> {
      if (stopping) {
        lock.release();
      } else if (result.succeeded() && result.result()) {
        LOG.info("orchestrator " + options.nodeName() + " holds the leader lock; taking over");
        lead().onFailure(failure -> {
          if (failure instanceof org.buildswarm.orchestrator.ha.ClusterLeadership.Refused refused) {
            if (!failure.getMessage().equals(lastRefusal)) {
              LOG.warning(failure.getMessage());
              lastRefusal = failure.getMessage();
            }
            retryInMs = refused.retryInMs() > 0 ? refused.retryInMs() : REFUSED_RETRY_MS;
            stepDown(term, null);
          } else {
            LOG.warning("could not start leading: " + failure.getMessage());
            stepDown("it could not start");
          }
        });
      } else {
        campaignTimer = vertx.setTimer(CAMPAIGN_INTERVAL_MS, id -> campaign());
      }
    });
  }

  private Future<String> lead() {
    long myTerm = ++term;
    if (leadership == null) {
      leadership = new org.buildswarm.orchestrator.ha.ClusterLeadership(vertx);
    }
    OrchestratorVerticle orchestrator = new OrchestratorVerticle(options, stores.get(), metrics, leadership);
    Future<Void> lockLost = lock == null ? null : lock.lost();
    return vertx.deployVerticle(orchestrator).onSuccess(id -> {
      leading = id;
      lastRefusal = null;
      orchestrator.fenced().onComplete(done -> stepDown(myTerm, "a newer orchestrator fenced it off, or took over its "
          + "leadership record"));
      if (lockLost != null) {
        lockLost.onComplete(done -> stepDown(myTerm, "it lost the leader lock"));
      }
    });
  }

  private void stepDown(String why) {
    stepDown(term, why);
  }

  private void stepDown(long ofTerm, String why) {
    if (stopping || ofTerm != term) {
      return;
    }
    term++; // this term is over: later signals about it are ignored
    String id = leading;
    leading = null;
    if (why != null) {
      LOG.warning("orchestrator " + options.nodeName() + " stops leading: " + why);
    }
    Future<Void> undeployed = id == null ? Future.succeededFuture() : vertx.undeploy(id);
    undeployed.eventually(() -> lock == null ? Future.succeededFuture() : lock.release())
        .onComplete(done -> {
          if (lock != null) {
            // Refused because another orchestrator leads: it is not going away within a second.
            campaignTimer = vertx.setTimer(lastRefusal != null ? retryInMs : CAMPAIGN_INTERVAL_MS,
                timer -> campaign());
          }
        });
  }
}
