package org.buildswarm.orchestrator.impl;

import io.vertx.core.Future;
import java.util.List;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.OrchestratorOptions;
import org.buildswarm.orchestrator.core.DroneRoster;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.plan.JobSetPlan;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.SetDroneMode;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.JobStepsEnded;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineReader;

/**
 * The drones' side of the orchestrator: registration, heartbeats and job reports from drones, and
 * the drone list and modes for people. A report that frees cores or adds work schedules a round.
 */
public final class DroneEndpoints {
  private static final Logger LOG = Logger.getLogger(DroneEndpoints.class.getName());

  private final Endpoints endpoints;
  private final OrchestratorCore core;
  private final OrchestratorOptions options;

  public DroneEndpoints(Endpoints endpoints, OrchestratorCore core, OrchestratorOptions options) {
    this.endpoints = endpoints;
    this.core = core;
    this.options = options;
  }

  public void register() {
    endpoints.<RegisterDrone>on(Addresses.DRONE_REGISTER, message -> {
      DroneRoster.Registration registration = core.drones().register(message.body());
      if (registration.accepted() != null) {
        message.reply(registration.accepted());
        endpoints.scheduleSoon();
      } else {
        LOG.warning("refused drone " + message.body().drone() + ": " + registration.refusal());
        message.fail(ApiFailures.FORBIDDEN, registration.refusal());
      }
    });
    endpoints.<Heartbeat>on(Addresses.DRONE_HEARTBEAT, message -> {
      message.reply(core.drones().heartbeat(message.body()));
      endpoints.scheduleSoon();
    });
    endpoints.<JobStarted>on(Addresses.JOB_STARTED, message -> message.reply(core.started(message.body())));
    endpoints.<JobStepsEnded>on(Addresses.JOB_STEPS_ENDED, message -> {
      message.reply(core.stepsEnded(message.body()));
      endpoints.scheduleSoon(); // its cores are free
    });
    endpoints.<JobFinished>on(Addresses.JOB_FINISHED, message -> {
      JobFinished report = message.body();
      if (report.jobSet() != null && report.outcome() == JobOutcome.SUCCEEDED && core.awaits(report)) {
        planJobSet(report).onComplete(planned -> {
          // The drone resends until acknowledged, so acknowledge only what is durably written.
          endpoints.replyWhenWritten(message, core.finished(report, planned.result()));
          endpoints.scheduleSoon();
        });
        return;
      }
      endpoints.replyWhenWritten(message, core.finished(report));
      endpoints.scheduleSoon();
    });
    endpoints.on(Addresses.DRONE_LIST, message -> message.reply(core.droneList()));
    endpoints.<SetDroneMode>on(Addresses.DRONE_MODE, message -> {
      SetDroneMode request = message.body();
      if (endpoints.refuseWhileStoreIsAway(message)) {
        return;
      }
      core.drones().setMode(request.drone(), request.mode(), request.requestedBy()).ifPresentOrElse(view -> {
        endpoints.replyWhenWritten(message, view);
        endpoints.scheduleSoon();
      }, () -> message.fail(ApiFailures.NOT_FOUND, "no drone " + request.drone()));
    });
  }

  /** Validates and plans the job set a report carries, off the event loop; a bad one is refused with its positions. */
  private Future<JobSetPlan> planJobSet(JobFinished report) {
    String file = core.jobSetPath(report.attempt().jobId());
    return endpoints.vertx().executeBlocking(() -> {
      try {
        Pipeline jobSet = new PipelineReader(options.pipelineLimits()).readJobSet(file, report.jobSet());
        return new JobSetPlan(new Planner(options.planner()).plan(jobSet).jobs(), null);
      } catch (PipelineException e) {
        List<String> problems = e.problems().stream().limit(5).map(Object::toString).toList();
        return JobSetPlan.refused(String.join("; ", problems)
            + (e.problems().size() > 5 ? "; and " + (e.problems().size() - 5) + " more" : ""));
      }
    }, false).recover(failure -> Future.succeededFuture(JobSetPlan.refused("it could not be read: " + failure)));
  }
}
