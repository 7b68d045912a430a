package org.buildswarm.orchestrator.impl;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.OrchestratorOptions;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.core.RetryOutcome;
import org.buildswarm.orchestrator.core.StoredViews;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.RunPlan;
import org.buildswarm.orchestrator.store.FencedException;
import org.buildswarm.orchestrator.store.NewRun;
import org.buildswarm.orchestrator.store.PipelineText;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProjectNames;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.DecideJob;
import org.buildswarm.protocol.api.EventPage;
import org.buildswarm.protocol.api.GetJobTests;
import org.buildswarm.protocol.api.GetQueue;
import org.buildswarm.protocol.api.GetRun;
import org.buildswarm.protocol.api.GetRunEvents;
import org.buildswarm.protocol.api.RerunRequest;
import org.buildswarm.protocol.api.RetryRequest;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.pipeline.JobDefinition;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineReader;

/**
 * Runs for people (through the gateway): submitting (stored before it is answered), reading runs,
 * their events and test results, cancelling, deciding on held jobs, the queue, running again and
 * retrying within a run.
 */
public final class RunEndpoints {
  private static final Logger LOG = Logger.getLogger(RunEndpoints.class.getName());

  private final Endpoints endpoints;
  private final OrchestratorCore core;
  private final Store store;
  private final OrchestratorOptions options;
  private final Runnable fencedOff;

  /** @param fencedOff called when the store refuses a write because a newer orchestrator leads */
  public RunEndpoints(Endpoints endpoints, OrchestratorCore core, Store store, OrchestratorOptions options,
      Runnable fencedOff) {
    this.endpoints = endpoints;
    this.core = core;
    this.store = store;
    this.options = options;
    this.fencedOff = fencedOff;
  }

  public void register() {
    endpoints.<SubmitRun>on(Addresses.RUN_SUBMIT, message -> submit(message.body(), message::reply, message::fail));
    endpoints.<RunQuery>on(Addresses.RUN_LIST, message -> Endpoints.reply(message, listRuns(message.body())));
    endpoints.<GetRun>on(Addresses.RUN_GET, message -> {
      long runId = message.body().runId();
      Endpoints.reply(message, core.runDetail(runId).map(Future::succeededFuture).orElseGet(() -> store.findRun(runId)
          .compose(found -> found.isPresent()
              ? Future.succeededFuture(StoredViews.detail(found.get()))
              : Endpoints.refusal(ApiFailures.NOT_FOUND, "no run " + runId))));
    });
    endpoints.<GetRunEvents>on(Addresses.RUN_EVENTS_GET, message -> {
      GetRunEvents query = message.body();
      int limit = query.limit() <= 0 ? 1000 : Math.min(query.limit(), 10_000);
      // The event log is written behind the core: read it only once it holds everything the core had
      // recorded when asked, or a run already shown as finished would lack its last events. While the
      // store is away, serve what it has rather than wait for it.
      Endpoints.reply(message, endpoints.caughtUp()
          .compose(written -> store.events(query.runId(), query.afterSeq(), limit))
          .map(EventPage::new));
    });
    endpoints.<GetJobTests>on(Addresses.JOB_TESTS_GET, message -> {
      GetJobTests query = message.body();
      // Results are stored with the final report, behind the core: read once the store has what the core had.
      Endpoints.reply(message, endpoints.caughtUp().compose(written -> store.testResults(query.jobId(), query.attempt()))
          .compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
              : Endpoints.refusal(ApiFailures.NOT_FOUND, "no test results for job " + query.jobId()
                  + (query.attempt() == null ? "" : " attempt " + query.attempt())
                  + " (it declares no reports:, has not finished, or is not a job)")));
    });
    endpoints.<CancelRequest>on(Addresses.CANCEL, message -> {
      if (endpoints.refuseWhileStoreIsAway(message)) {
        return;
      }
      if (core.cancel(message.body())) {
        endpoints.replyWhenWritten(message, core.runDetail(message.body().runId()).orElseThrow());
        endpoints.scheduleSoon();
      } else {
        message.fail(ApiFailures.NOT_FOUND, "no active run " + message.body().runId()
            + (message.body().jobId() == null ? "" : " with job " + message.body().jobId()));
      }
    });
    endpoints.<DecideJob>on(Addresses.JOB_DECIDE, message -> {
      if (endpoints.refuseWhileStoreIsAway(message)) {
        return;
      }
      DecideJob request = message.body();
      String refused = core.decide(request.jobId(), request.decision(), request.requestedBy());
      if (refused != null) {
        message.fail(ApiFailures.CONFLICT, refused);
      } else {
        endpoints.replyWhenWritten(message, core.runDetail(request.runId()).orElseThrow());
        endpoints.scheduleSoon();
      }
    });
    endpoints.<GetQueue>on(Addresses.QUEUE_LIST, message -> message.reply(core.queue(
        message.body().limit() <= 0 ? GetQueue.DEFAULT_LIMIT : Math.min(message.body().limit(), 10_000))));
    endpoints.<RerunRequest>on(Addresses.RUN_RERUN, this::rerun);
    endpoints.<RetryRequest>on(Addresses.RUN_RETRY, this::retry);
  }

  private void submit(SubmitRun request, Consumer<Object> reply, BiConsumer<Integer, String> fail) {
    String file = request.file() == null ? PipelineReader.DEFAULT_FILE : request.file();
    // Parsing and planning are CPU work proportional to the file: keep them off the event loop. The
    // core is single-threaded, so what the planner knows of job durations is read here between them.
    endpoints.vertx().executeBlocking(() -> {
      try {
        return new Parsed(new PipelineReader(options.pipelineLimits()).read(file, request.pipelineYaml()), null);
      } catch (PipelineException e) {
        return new Parsed(null, e);
      }
    }, false).compose(parsed -> {
      if (parsed.problems() != null) {
        return Future.<Object>succeededFuture(SubmitResult.invalid(parsed.problems().problems()));
      }
      Pipeline pipeline = parsed.pipeline();
      String named = request.project() == null || request.project().isBlank() ? pipeline.name() : request.project();
      Map<String, Long> estimates = new HashMap<>();
      for (JobDefinition job : pipeline.jobs()) {
        estimates.put(job.name(), core.estimateMs(named, job.name()));
      }
      return endpoints.vertx().<Object>executeBlocking(() -> new Planner(options.planner(),
          group -> estimates.getOrDefault(group, 0L)).plan(pipeline, request.source().branch()), false);
    }).compose(planned -> {
      if (planned instanceof SubmitResult invalid) {
        return Future.succeededFuture(invalid);
      }
      RunPlan plan = (RunPlan) planned;
      String project = request.project() == null || request.project().isBlank() ? plan.pipelineName() : request.project();
      String badName = ProjectNames.problem(project);
      if (badName != null) {
        return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ApiFailures.BAD_REQUEST,
            badName + (request.project() == null || request.project().isBlank() ? " (it is the pipeline's name:)" : "")));
      }
      List<PlannedJob> jobs = request.ignoreCache()
          ? plan.jobs().stream().map(PlannedJob::ignoringCache).toList() : plan.jobs();
      NewRun run = new NewRun(project, plan.pipelineName(), file, request.pipelineYaml(), request.source(),
          request.trigger(), request.requestedBy(), System.currentTimeMillis(), jobs, plan.concurrencyGroup(),
          plan.cancelInProgress());
      return store.createRun(run).compose(created -> store.findRun(created.runId())).map(stored -> {
        core.addRun(stored.orElseThrow());
        endpoints.scheduleSoon();
        return SubmitResult.created(stored.get().id());
      });
    }).onComplete(result -> {
      if (result.succeeded()) {
        reply.accept(result.result());
      } else if (result.cause() instanceof FencedException) {
        fencedOff.run();
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

  private record Parsed(Pipeline pipeline, PipelineException problems) {}

  /** The same pipeline file, from the same source, as a new manual run (planned afresh, with today's estimates). */
  private void rerun(Message<RerunRequest> message) {
    RerunRequest request = message.body();
    if (endpoints.refuseWhileStoreIsAway(message)) {
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
  private void retry(Message<RetryRequest> message) {
    RetryRequest request = message.body();
    if (endpoints.refuseWhileStoreIsAway(message)) {
      return;
    }
    Future<Boolean> known = core.tracks(request.runId()) ? Future.succeededFuture(true)
        : endpoints.caughtUp().compose(written -> store.findRun(request.runId())).map(found -> {
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
      RetryOutcome outcome = request.jobId() == null
          ? core.retryFailed(request.runId(), request.requestedBy())
          : core.retryJob(request.runId(), request.jobId(), request.requestedBy());
      switch (outcome.status()) {
        case NOT_FOUND -> message.fail(ApiFailures.NOT_FOUND, outcome.message());
        case REFUSED -> message.fail(ApiFailures.CONFLICT, outcome.message());
        case RETRIED -> {
          LOG.info(request.requestedBy() + " retried " + outcome.jobs() + " of run " + request.runId());
          endpoints.replyWhenWritten(message, core.runSummary(request.runId()).orElseThrow());
          endpoints.scheduleSoon();
        }
      }
    });
  }

  /** A page of stored runs, each shown as the core has it now when it still holds it. */
  private Future<RunPage> listRuns(RunQuery query) {
    return endpoints.caughtUp().compose(written -> store.listRuns(query)).map(page -> {
      List<RunSummary> fresh = new ArrayList<>(page.runs().size());
      for (RunSummary summary : page.runs()) {
        fresh.add(core.runSummary(summary.id()).orElse(summary));
      }
      return new RunPage(fresh, page.nextBefore());
    });
  }
}
