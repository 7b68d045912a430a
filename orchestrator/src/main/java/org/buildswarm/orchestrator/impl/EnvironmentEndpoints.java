package org.buildswarm.orchestrator.impl;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import java.util.ArrayList;
import java.util.List;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.EnvironmentList;
import org.buildswarm.protocol.api.EnvironmentView;
import org.buildswarm.protocol.api.ListEnvironments;
import org.buildswarm.protocol.api.RollbackEnvironment;

/** Deploy environments for people: their pointers and history, and instant rollback. */
public final class EnvironmentEndpoints {
  private final Endpoints endpoints;
  private final OrchestratorCore core;
  private final Store store;

  public EnvironmentEndpoints(Endpoints endpoints, OrchestratorCore core, Store store) {
    this.endpoints = endpoints;
    this.core = core;
    this.store = store;
  }

  public void register() {
    endpoints.<ListEnvironments>on(Addresses.ENVIRONMENT_LIST, message ->
        Endpoints.reply(message, environments(message.body())));
    endpoints.<RollbackEnvironment>on(Addresses.ENVIRONMENT_ROLLBACK, this::rollback);
  }

  /** Each environment's pointers (fresh from the core) with its history (from the store). */
  private Future<EnvironmentList> environments(ListEnvironments query) {
    int limit = query.historyLimit() <= 0 ? ListEnvironments.DEFAULT_HISTORY : Math.min(query.historyLimit(), 1000);
    List<Future<EnvironmentView>> withHistory = new ArrayList<>();
    for (EnvironmentView environment : core.environments(query.project())) {
      withHistory.add(store.deployments(environment.project(), environment.name(), limit).map(history ->
          new EnvironmentView(environment.project(), environment.name(), environment.currentVersion(),
              environment.currentRun(), environment.previousVersion(), environment.previousRun(),
              environment.deployingRun(), environment.updatedAt(), history)));
    }
    return Future.all(withHistory).map(all -> new EnvironmentList(all.list()));
  }

  /** Instant rollback: to the named version if the environment ran it before, else to its previous one. */
  private void rollback(Message<RollbackEnvironment> message) {
    if (endpoints.refuseWhileStoreIsAway(message)) {
      return;
    }
    RollbackEnvironment request = message.body();
    Future<Long> deployedBy = request.version() == null ? Future.succeededFuture(null)
        : store.deployments(request.project(), request.environment(), 10_000).compose(history -> history.stream()
            .filter(entry -> entry.version().equals(request.version())
                && ("SUCCEEDED".equals(entry.state()) || "ACTIVATED".equals(entry.state())))
            .findFirst()
            .map(entry -> Future.succeededFuture(entry.runId()))
            .orElseGet(() -> Endpoints.refusal(ApiFailures.NOT_FOUND, request.environment() + " never ran version "
                + request.version() + "; only versions it ran can be rolled back to")));
    Endpoints.reply(message, deployedBy.compose(run -> {
      String refused = core.rollbackEnvironment(request.project(), request.environment(), request.version(), run,
          request.requestedBy());
      if (refused != null) {
        return Endpoints.refusal(refused.contains("has no environment") ? ApiFailures.NOT_FOUND : ApiFailures.CONFLICT,
            refused);
      }
      return endpoints.written().compose(written -> environments(new ListEnvironments(request.project(), 0)));
    }));
  }
}
