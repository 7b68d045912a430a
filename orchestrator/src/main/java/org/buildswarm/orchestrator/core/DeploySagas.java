package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.buildswarm.orchestrator.plan.PlannedDeploy;
import org.buildswarm.orchestrator.store.DeploymentStatus;
import org.buildswarm.orchestrator.store.DeploymentStatus.DeployState;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;

/**
 * Deploys as sagas (DESIGN.md §5). One run deploys to an environment at a time: its first deploy
 * step takes the environment and the saga keeps it until every step and rollback has ended. When
 * every step succeeds the environment's pointer moves to the run's version; when one fails the
 * rollbacks of the steps that ran go in reverse order and the pointer stays where it was. Part of
 * the core: same thread, no I/O.
 */
final class DeploySagas {
  private final OrchestratorCore core;
  private final Map<String, EnvironmentEntry> environments = new HashMap<>();

  DeploySagas(OrchestratorCore core) {
    this.core = core;
  }

  /** The pointers as stored, and the deploy under way (its run), at start. */
  void restore(String project, String environment, String current, Long currentRun, String previous, Long previousRun,
      Long deployingRun) {
    EnvironmentEntry entry = environment(project, environment);
    entry.currentVersion = current;
    entry.currentRun = currentRun;
    entry.previousVersion = previous;
    entry.previousRun = previousRun;
    entry.restoredDeployingRun = deployingRun;
  }

  EnvironmentEntry environment(String project, String name) {
    return environments.computeIfAbsent(EnvironmentEntry.key(project, name), key -> new EnvironmentEntry(project, name));
  }

  EnvironmentEntry find(String project, String name) {
    return environments.get(EnvironmentEntry.key(project, name));
  }

  List<EnvironmentEntry> all() {
    return List.copyOf(environments.values());
  }

  /**
   * Why a deploy step may not be queued yet (another run is deploying to its environment), or null
   * when it may: then its run holds the environment, and the saga starts if it had not.
   */
  String admit(JobEntry job, long now) {
    PlannedDeploy deploy = job.plan.deploy();
    EnvironmentEntry environment = environment(job.run.project, deploy.environment());
    if (environment.deploying != null && environment.deploying != job.run) {
      return "waiting for run " + environment.deploying.id + " to finish deploying to " + environment.name;
    }
    if (environment.deploying == null) {
      start(job.run, environment, now, true);
    }
    return null;
  }

  private Saga start(RunEntry run, EnvironmentEntry environment, long now, boolean record) {
    Saga saga = new Saga(run, environment, run.version(), environment.currentVersion);
    environment.deploying = run;
    run.sagas.put(environment.name, saga);
    if (record) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("environment", environment.name);
      data.put("version", saga.version);
      if (saga.previousVersion != null) {
        data.put("previousVersion", saga.previousVersion);
      }
      core.recordRunEvent(run, now, EventType.DEPLOY_STARTED, data, deployment(saga, DeployState.STARTED, now, null));
    }
    return saga;
  }

  /**
   * After a restart: the saga the store says was under way takes its environment again; one that
   * had ended (or never began) only has its unneeded rollbacks settled, if that was cut short.
   */
  void resume(RunEntry run, long now) {
    Map<String, List<JobEntry>> steps = stepsByEnvironment(run);
    for (JobEntry job : run.jobs) {
      if (job.plan.deploy() != null && job.plan.deploy().isRollback()) {
        job.rollbackActivated = job.state != JobState.WAITING && job.state != JobState.SKIPPED;
      }
    }
    for (Map.Entry<String, List<JobEntry>> environmentSteps : steps.entrySet()) {
      EnvironmentEntry environment = environment(run.project, environmentSteps.getKey());
      if (Long.valueOf(run.id).equals(environment.restoredDeployingRun) && environment.deploying == null) {
        Saga saga = start(run, environment, now, false);
        for (JobEntry step : environmentSteps.getValue()) {
          if (saga.failedAt == null && (step.state == JobState.FAILED || step.state == JobState.CANCELLED)) {
            saga.failedAt = step;
          }
        }
      } else if (environmentSteps.getValue().stream().allMatch(step -> step.state.isTerminal())) {
        skipRollbacks(run, environmentSteps.getKey(), "not needed: the deploy had ended", now);
      }
    }
  }

  /** Called after the resumed runs are all tracked: sagas waiting for their next rollback get it. */
  void advanceAll(long now) {
    for (EnvironmentEntry environment : List.copyOf(environments.values())) {
      environment.restoredDeployingRun = null;
      if (environment.deploying != null) {
        Saga saga = environment.deploying.sagas.get(environment.name);
        if (saga != null) {
          advance(saga, now);
        }
      }
    }
  }

  /** A deploy step or rollback ended (or a deploy step was skipped before it could start). */
  void settled(JobEntry job, long now) {
    PlannedDeploy deploy = job.plan.deploy();
    if (deploy.isRollback() && !job.rollbackActivated) {
      return; // skipped because not needed: nothing to move on
    }
    Saga saga = job.run.sagas.get(deploy.environment());
    if (saga == null) {
      // Never started (skipped before it got the environment): its rollbacks have nothing to undo.
      if (stepsByEnvironment(job.run).getOrDefault(deploy.environment(), List.of()).stream()
          .allMatch(step -> step.state.isTerminal())) {
        skipRollbacks(job.run, deploy.environment(), "nothing was deployed", now);
      }
      return;
    }
    if (saga.finished) {
      return;
    }
    if (!deploy.isRollback()) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("environment", deploy.environment());
      data.put("step", job.plan.name());
      if (job.state == JobState.SUCCEEDED) {
        core.recordRunEvent(job.run, now, EventType.DEPLOY_STEP_DONE, data, null);
      } else if (saga.failedAt == null && job.state != JobState.SKIPPED) {
        saga.failedAt = job;
        data.put("reason", String.valueOf(job.reason));
        core.recordRunEvent(job.run, now, EventType.DEPLOY_STEP_FAILED, data, null);
        // The steps after it must not run: the saga is undoing, not going on.
        for (JobEntry step : stepsByEnvironment(job.run).get(deploy.environment())) {
          if (step.state == JobState.WAITING || step.isReady()) {
            core.settle(step, JobState.SKIPPED, "the deploy to " + deploy.environment() + " failed at \""
                + job.plan.name() + "\"", now);
          }
        }
      }
    }
    advance(saga, now);
  }

  /** Moves the saga on once no step is active: success, or the next rollback, or the end of rolling back. */
  private void advance(Saga saga, long now) {
    if (saga.finished) {
      return;
    }
    String environment = saga.environment.name;
    List<JobEntry> steps = stepsByEnvironment(saga.run).getOrDefault(environment, List.of());
    if (steps.stream().anyMatch(step -> !step.state.isTerminal())) {
      return;
    }
    if (saga.failedAt == null && steps.stream().anyMatch(step -> step.state != JobState.SUCCEEDED)) {
      saga.failedAt = steps.stream().filter(step -> step.state != JobState.SUCCEEDED).findFirst().orElseThrow();
    }
    if (saga.failedAt == null) {
      finish(saga, DeployState.SUCCEEDED, EventType.DEPLOY_SUCCEEDED, now);
      skipRollbacks(saga.run, environment, "not needed: the deploy succeeded", now);
      return;
    }
    // Undo what may have run (it was given to a drone at least once), the last to start first. An
    // attempt of a deploy retried since does not count: its queuedAt was cleared when it was retried.
    List<JobEntry> ran = new ArrayList<>();
    for (JobEntry step : steps) {
      if ((step.attempt > 0 && step.queuedAt != null) || step.state == JobState.SUCCEEDED) {
        ran.add(step);
      } else if (step.plan.deploy().partner() >= 0) {
        JobEntry rollback = saga.run.jobs.get(step.plan.deploy().partner());
        if (rollback.state == JobState.WAITING && !rollback.rollbackActivated) {
          core.settle(rollback, JobState.SKIPPED, "nothing to undo: its deploy step never ran", now);
        }
      }
    }
    ran.sort(Comparator.comparingLong((JobEntry step) -> step.startedAt == null ? Long.MAX_VALUE : step.startedAt)
        .thenComparingInt(step -> step.plan.index()).reversed());
    boolean rollbackFailed = false;
    for (JobEntry step : ran) {
      int partner = step.plan.deploy().partner();
      if (partner < 0) {
        continue;
      }
      JobEntry rollback = saga.run.jobs.get(partner);
      if (!rollback.state.isTerminal()) {
        if (!rollback.rollbackActivated) {
          rollback.rollbackActivated = true;
          Map<String, Object> data = new LinkedHashMap<>();
          data.put("environment", environment);
          data.put("step", step.plan.name());
          data.put("restoring", saga.previousVersion == null ? "" : saga.previousVersion);
          core.recordRunEvent(saga.run, now, EventType.DEPLOY_ROLLBACK_STARTED, data, null);
          core.makeReady(rollback, now);
        }
        return; // one rollback at a time, in order
      }
      rollbackFailed |= rollback.state != JobState.SUCCEEDED;
    }
    skipRollbacks(saga.run, environment, "nothing to undo: its deploy step never ran", now);
    finish(saga, rollbackFailed ? DeployState.ROLLBACK_FAILED : DeployState.ROLLED_BACK,
        rollbackFailed ? EventType.DEPLOY_ROLLBACK_FAILED : EventType.DEPLOY_ROLLED_BACK, now);
  }

  private void finish(Saga saga, DeployState state, EventType type, long now) {
    if (saga.finished) {
      return;
    }
    saga.finished = true;
    EnvironmentEntry environment = saga.environment;
    // A redeploy of the version it runs keeps "previous" meaningful.
    if (state.movesPointer() && !saga.version.equals(environment.currentVersion)) {
      environment.previousVersion = environment.currentVersion;
      environment.previousRun = environment.currentRun;
      environment.currentVersion = saga.version;
      environment.currentRun = saga.run.id;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("environment", environment.name);
    data.put("version", saga.version);
    data.put("current", environment.currentVersion == null ? "" : environment.currentVersion);
    if (saga.failedAt != null) {
      data.put("failedStep", saga.failedAt.plan.name());
    }
    core.recordRunEvent(saga.run, now, type, data, deployment(saga, state, now, null));
    if (environment.deploying == saga.run) {
      environment.deploying = null;
    }
    core.releaseParked(now);
  }

  /**
   * An operator points the environment at a version it ran before; nothing runs. Refused while a
   * deploy to it is in progress.
   *
   * @return null when done, else why not
   */
  String activate(String project, String name, String version, long deployedByRun, String requestedBy, long now) {
    EnvironmentEntry environment = find(project, name);
    if (environment == null) {
      return "project " + project + " has no environment " + name;
    }
    if (environment.deploying != null) {
      return "run " + environment.deploying.id + " is deploying to " + name + "; roll back when it has finished";
    }
    if (version.equals(environment.currentVersion)) {
      return name + " already runs " + version;
    }
    String previous = environment.currentVersion;
    environment.previousVersion = environment.currentVersion;
    environment.previousRun = environment.currentRun;
    environment.currentVersion = version;
    environment.currentRun = deployedByRun;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("project", project);
    data.put("environment", name);
    data.put("version", version);
    data.put("previousVersion", previous == null ? "" : previous);
    data.put("requestedBy", String.valueOf(requestedBy));
    core.recordEnvironmentEvent(EventType.ENVIRONMENT_ACTIVATED, data, new DeploymentStatus(project, name, deployedByRun, version,
        previous, DeployState.ACTIVATED, now, requestedBy));
    return null;
  }

  /**
   * What cancelling must leave alone in this run: every step and rollback of a begun deploy to a
   * protected environment and every job such a step still needs (cancelling one would fail the
   * saga and roll it back), and the rollbacks of any begun deploy (a half-undone deploy is worse
   * than either end).
   */
  static java.util.Set<JobEntry> shieldedFromCancel(RunEntry run) {
    java.util.Set<JobEntry> shielded = new java.util.HashSet<>();
    java.util.ArrayDeque<JobEntry> needed = new java.util.ArrayDeque<>();
    for (JobEntry job : run.jobs) {
      PlannedDeploy deploy = job.plan.deploy();
      Saga saga = deploy == null ? null : run.sagas.get(deploy.environment());
      if (saga == null || saga.finished || job.state.isTerminal()) {
        continue;
      }
      if (deploy.isRollback()) {
        shielded.add(job);
      } else if (deploy.protectedEnvironment()) {
        needed.add(job);
      }
    }
    while (!needed.isEmpty()) {
      JobEntry job = needed.poll();
      if (!job.state.isTerminal() && shielded.add(job)) {
        job.plan.needs().forEach(index -> needed.add(run.jobs.get(index)));
      }
    }
    return shielded;
  }

  private void skipRollbacks(RunEntry run, String environment, String why, long now) {
    for (JobEntry rollback : rollbacks(run, environment)) {
      if (rollback.state == JobState.WAITING && !rollback.rollbackActivated) {
        core.settle(rollback, JobState.SKIPPED, why, now);
      }
    }
  }

  private static List<JobEntry> rollbacks(RunEntry run, String environment) {
    List<JobEntry> found = new ArrayList<>();
    for (JobEntry job : run.jobs) {
      if (job.plan.deploy() != null && job.plan.deploy().isRollback() && job.plan.deploy().environment().equals(environment)) {
        found.add(job);
      }
    }
    return found;
  }

  private static Map<String, List<JobEntry>> stepsByEnvironment(RunEntry run) {
    Map<String, List<JobEntry>> steps = new LinkedHashMap<>();
    for (JobEntry job : run.jobs) {
      if (job.plan.isDeployStep() && job.plan.deploy().skipReason() == null) {
        steps.computeIfAbsent(job.plan.deploy().environment(), e -> new ArrayList<>()).add(job);
      }
    }
    return steps;
  }

  private static DeploymentStatus deployment(Saga saga, DeployState state, long now, String requestedBy) {
    return new DeploymentStatus(saga.run.project, saga.environment.name, saga.run.id, saga.version,
        saga.previousVersion, state, now, requestedBy);
  }
}
