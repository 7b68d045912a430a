package org.buildswarm.orchestrator.core;

import org.buildswarm.protocol.EventType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.buildswarm.orchestrator.plan.JobSetPlan;
import org.buildswarm.protocol.auth.JobTokens;
import org.buildswarm.orchestrator.schedule.DroneSlot;
import org.buildswarm.orchestrator.schedule.Placement;
import org.buildswarm.orchestrator.schedule.ReadyJob;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.schedule.SchedulingInput;
import org.buildswarm.orchestrator.schedule.SchedulingResult;
import org.buildswarm.orchestrator.schedule.Unschedulable;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.DroneStatus;
import org.buildswarm.orchestrator.store.RunStatus;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.DroneList;
import org.buildswarm.protocol.api.DroneView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.SwarmStatus;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.api.JobTokenInfo;
import org.buildswarm.protocol.api.QueueList;
import org.buildswarm.protocol.api.QueuedJob;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.CancelAttempt;
import org.buildswarm.protocol.message.DroneCommand;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HostRefusal;
import org.buildswarm.protocol.api.WaitReason;
import org.buildswarm.protocol.message.ReportReply;

/**
 * The orchestrator's state machine: runs and their job DAGs, drones and their leases, attempts and
 * their fencing tokens. Pure and single-threaded: every input is a method call, every output an
 * {@link Effects} call, time comes from the injected clock. Tests drive it without Vert.x.
 *
 * <p>Invariants it keeps: a job holds cores on at most one drone; only the report carrying a job's
 * current token changes it; a job reaches a terminal state once; a drone past its lease gets no
 * work and its attempts come back exactly once.
 */
public final class OrchestratorCore {
  /** Events about the swarm rather than one run are logged under this run id. */
  public static final long SWARM_RUN_ID = 0;
  /** Job sets may grow a run to this many jobs, no further. */
  public static final int MAX_JOBS_PER_RUN = 100_000;

  private final CoreOptions options;
  private final Scheduler scheduler;
  private final LongSupplier clock;
  private final Effects effects;
  private final long epoch;
  private final DroneRoster roster;
  private final CoreCounters counters = new CoreCounters();
  private final JobTokens jobTokens;
  private final DeploySagas sagas;
  /** Ready jobs held back: deploys waiting for their environment, runs waiting for their concurrency group. */
  private final Set<JobEntry> parked = new LinkedHashSet<>();
  private long tokenCounter;
  private long addedJobCounter;

  /** Expected duration of a job, by project and pipeline job name: a moving average of its successes. */
  private final Map<String, Long> estimates = new HashMap<>();
  private final Map<Long, RunEntry> runs = new LinkedHashMap<>();
  private final ArrayDeque<RunEntry> finishedRuns = new ArrayDeque<>();
  private final Map<Long, JobEntry> jobs = new HashMap<>();
  /** QUEUED and UNSCHEDULABLE jobs, the scheduler's input. */
  private final ReadyQueue ready = new ReadyQueue();

  /**
   * @param jobTokens mints each attempt's job token (with the control plane's key, which no drone holds)
   */
  public OrchestratorCore(CoreOptions options, Scheduler scheduler, LongSupplier clock, Effects effects, long epoch,
      JobTokens jobTokens) {
    this.options = options;
    this.scheduler = scheduler;
    this.clock = clock;
    this.effects = effects;
    this.epoch = epoch;
    this.roster = new DroneRoster(options, this);
    this.jobTokens = jobTokens;
    this.sagas = new DeploySagas(this);
  }

  public long epoch() {
    return epoch;
  }

  public CoreCounters counters() {
    return counters;
  }

  public DroneRoster drones() {
    return roster;
  }

  long now() {
    return clock.getAsLong();
  }

  // ---- runs ---------------------------------------------------------------------------------

  /** Takes over a run just stored: its jobs start WAITING, or QUEUED when they need nothing. */
  public void addRun(StoredRun stored) {
    RunEntry run = track(stored);
    long now = now();
    if (run.concurrencyGroup != null && run.cancelInProgress) {
      for (RunEntry older : List.copyOf(runs.values())) {
        if (older != run && older.id < run.id && inSameGroup(older, run) && !older.state.isTerminal()) {
          cancel(new CancelRequest(older.id, null, "concurrency group \"" + run.concurrencyGroup + "\" (run " + run.id
              + " is newer)"));
        }
      }
    }
    for (JobEntry job : run.jobs) {
      if (job.state == JobState.QUEUED) {
        job.state = JobState.WAITING;
        makeReady(job, now);
      }
    }
    publish(run, null, EventType.RUN_CREATED, null);
  }

  /**
   * Takes over a run from the store after an orchestrator restart. Attempts that were on drones stay
   * theirs until the drone re-registers (and reports them) or its lease runs out.
   */
  public void resumeRun(StoredRun stored) {
    resumeRuns(List.of(stored));
  }

  /**
   * Takes over the unfinished runs after a restart. Deploys that had begun take their environments
   * back before any queued job asks for one.
   */
  public void resumeRuns(List<StoredRun> stored) {
    List<RunEntry> tracked = new ArrayList<>();
    for (StoredRun run : stored) {
      tracked.add(track(run));
    }
    long now = now();
    for (RunEntry run : tracked) {
      sagas.resume(run, now);
    }
    for (RunEntry run : tracked) {
      resume(run, now);
    }
    sagas.advanceAll(now);
  }

  private void resume(RunEntry run, long now) {
    for (JobEntry job : run.jobs) {
      if (!job.state.isTerminal() && !job.state.isOnDrone() && job.state != JobState.HELD) {
        // The journal is written behind dispatching: an assignment of this waiting job may have gone
        // out before the crash without being stored. Its number is not given again.
        job.attemptFloor = job.attempt + 1;
      }
      if (job.state == JobState.HELD) {
        job.attemptAssignedAt = 0;
      } else if (job.state.isOnDrone()) {
        // The attempt's row already holds when it was assigned; this is only a non-zero marker.
        job.attemptAssignedAt = job.startedAt != null ? job.startedAt : job.queuedAt != null ? job.queuedAt : now;
        job.attemptStartedAt = job.startedAt;
        roster.expectAttempt(job.drone, job, now);
      } else if (job.isReady()) {
        job.readySince = job.queuedAt == null ? now : job.queuedAt;
        job.unschedulableSince = now;
        WaitReason wait = gate(job, now);
        if (wait != null) {
          park(job, wait, now, false);
        } else {
          ready.add(job, now);
        }
      }
    }
    for (JobEntry job : run.jobs) {
      if (job.state == JobState.WAITING) {
        JobEntry blocker = firstUnsuccessfulTerminalNeed(job);
        if (blocker != null) {
          skipDependents(blocker, now);
        } else if (job.unmetNeeds == 0) {
          makeReady(job, now);
        }
      }
    }
    finishRunIfDone(run, now);
  }

  private RunEntry track(StoredRun stored) {
    RunEntry run = new RunEntry(stored.id(), stored.project(), stored.pipelineName(), stored.source(),
        stored.trigger(), stored.requestedBy(), stored.createdAt(), stored.state(), stored.finishedAt());
    run.concurrencyGroup = stored.concurrencyGroup();
    run.cancelInProgress = stored.cancelInProgress();
    for (StoredJob storedJob : stored.jobs()) {
      JobEntry job = new JobEntry(storedJob.id(), run, storedJob.plan(), storedJob.status().state());
      job.restore(storedJob.status());
      run.jobs.add(job);
      jobs.put(job.id, job);
      if (job.state.isTerminal()) {
        run.terminalJobs++;
      }
    }
    for (JobEntry job : run.jobs) {
      for (int need : job.plan.needs()) {
        JobEntry needed = run.jobs.get(need);
        needed.dependents.add(job);
        if (needed.state != JobState.SUCCEEDED) {
          job.unmetNeeds++;
        }
      }
    }
    runs.put(run.id, run);
    return run;
  }

  private static JobEntry firstUnsuccessfulTerminalNeed(JobEntry job) {
    for (int need : job.plan.needs()) {
      JobEntry needed = job.run.jobs.get(need);
      if (needed.state.isTerminal() && needed.state != JobState.SUCCEEDED) {
        return needed;
      }
    }
    return null;
  }

  /** Cancels a run or one job. Running attempts get a cancel; the rest end at once. */
  public boolean cancel(CancelRequest request) {
    RunEntry run = runs.get(request.runId());
    if (run == null || run.state.isTerminal()) {
      return false;
    }
    List<JobEntry> targets = new ArrayList<>();
    if (request.jobId() == null) {
      targets.addAll(run.jobs);
      // Dependents first (a job's critical path is longer than any dependent's), so each waiting
      // job of a cancelled run ends as cancelled rather than as skipped behind another.
      targets.sort(java.util.Comparator.comparingLong(job -> job.plan.criticalPathMs()));
    } else {
      JobEntry job = jobs.get(request.jobId());
      if (job == null || job.run != run) {
        return false;
      }
      targets.add(job);
    }
    long now = now();
    String reason = "cancelled" + (request.requestedBy() == null ? "" : " by " + request.requestedBy());
    Set<JobEntry> shielded = DeploySagas.shieldedFromCancel(run);
    for (JobEntry job : targets) {
      if (job.state.isTerminal() || job.cancelRequested) {
        continue;
      }
      if (shielded.contains(job)) {
        record(job, now, EventType.JOB_NOT_CANCELLED, Map.of("reason", "a deploy in progress needs it, and a deploy to a "
            + "protected environment (or a rollback) is never cancelled; it finishes first"), null);
        continue;
      }
      if (job.state == JobState.HELD) {
        settle(job, JobState.CANCELLED, reason, now);
      } else if (job.state.isOnDrone()) {
        job.cancelRequested = true;
        effects.command(job.drone, new CancelAttempt(job.drone, epoch, job.attemptRef(), reason));
        record(job, now, EventType.JOB_CANCEL_REQUESTED, Map.of("drone", job.drone), null);
      } else {
        settle(job, JobState.CANCELLED, reason, now);
      }
    }
    return true;
  }

  // ---- retries by people -----------------------------------------------------------------------

  /** Whether the core holds this run: every unfinished run, and the latest finished ones. */
  public boolean tracks(long runId) {
    return runs.containsKey(runId);
  }

  /** Takes a finished run the core had let go of back from the store, so that it can be retried. */
  public void readmitFinished(StoredRun stored) {
    if (runs.containsKey(stored.id()) || !stored.state().isTerminal()) {
      return;
    }
    keepFinished(track(stored));
  }

  /**
   * Runs again, within the same run, every job that failed (timed out included) or was cancelled,
   * and what did not run because of them ({@link RetryPlanner}); each gets a new attempt.
   */
  public RetryOutcome retryFailed(long runId, String requestedBy) {
    RunEntry run = runs.get(runId);
    if (run == null) {
      return RetryOutcome.notFound("no run " + runId);
    }
    List<JobEntry> chosen = new ArrayList<>();
    for (JobEntry job : run.jobs) {
      if (job.state == JobState.FAILED || job.state == JobState.CANCELLED) {
        chosen.add(job);
      }
    }
    if (chosen.isEmpty()) {
      return RetryOutcome.refused("run " + runId + " has no failed, timed-out or cancelled job ("
          + (run.state.isTerminal() ? "it " + run.state.name().toLowerCase(java.util.Locale.ROOT)
          : "it is " + run.state.name().toLowerCase(java.util.Locale.ROOT) + "; a job that fails can be retried then")
          + ")");
    }
    String who = who(requestedBy);
    RetryPlanner.Plan plan = RetryPlanner.plan(run, chosen, who, runs.values());
    if (plan.refusal() != null) {
      return RetryOutcome.refused(plan.refusal());
    }
    return applyRetry(run, plan, "failed jobs", who);
  }

  /**
   * Runs one job again, whatever it ended as, within the same run, with what needs it (which ran on
   * its old result or did not run because of it); each gets a new attempt.
   */
  public RetryOutcome retryJob(long runId, long jobId, String requestedBy) {
    RunEntry run = runs.get(runId);
    if (run == null) {
      return RetryOutcome.notFound("no run " + runId);
    }
    JobEntry job = jobs.get(jobId);
    if (job == null || job.run != run) {
      return RetryOutcome.notFound("run " + runId + " has no job " + jobId);
    }
    String refused = RetryPlanner.refusalOfOne(job);
    if (refused != null) {
      return RetryOutcome.refused(refused);
    }
    String who = who(requestedBy);
    RetryPlanner.Plan plan = RetryPlanner.plan(run, List.of(job), who, runs.values());
    refused = plan.refusal() != null ? plan.refusal() : RetryPlanner.unmetNeed(job, plan);
    if (refused != null) {
      return RetryOutcome.refused(refused);
    }
    return applyRetry(run, plan, "job \"" + job.plan.name() + "\"", who);
  }

  private static String who(String requestedBy) {
    return requestedBy == null ? "an operator" : requestedBy;
  }

  /**
   * Sends the plan's jobs back to waiting in one stored change (a crash keeps all of it or none),
   * reopening the run if it had finished; then whatever is ready is queued as usual.
   */
  private RetryOutcome applyRetry(RunEntry run, RetryPlanner.Plan plan, String what, String who) {
    long now = now();
    boolean reopened = run.state.isTerminal();
    if (reopened) {
      finishedRuns.remove(run);
      run.state = run.jobs.stream().anyMatch(job -> job.attempt > 0) ? RunState.RUNNING : RunState.QUEUED;
      run.finishedAt = null;
    }
    for (String environment : plan.environments()) {
      run.sagas.remove(environment); // the deploy starts over as a saga of its own when its first step is ready
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("requestedBy", who);
    data.put("retried", what);
    data.put("jobs", plan.reset().size());
    List<StateChange> together = new ArrayList<>();
    together.add(StateChange.of(now, run.id, null, EventType.RUN_RETRIED, data)
        .withRun(reopened ? new RunStatus(run.state, null) : null));
    List<String> names = new ArrayList<>();
    for (Map.Entry<JobEntry, String> entry : plan.reset().entrySet()) {
      JobEntry job = entry.getKey();
      Map<String, Object> jobData = new LinkedHashMap<>();
      jobData.put("requestedBy", who);
      jobData.put("previousState", job.state.name());
      jobData.put("previousAttempt", job.attempt);
      jobData.put("reason", entry.getValue());
      job.resetForRetry(entry.getValue());
      run.terminalJobs--;
      names.add(job.plan.name());
      together.add(StateChange.of(now, run.id, job.id, EventType.JOB_RETRIED, jobData).withJob(job.status()));
    }
    for (JobEntry job : run.jobs) {
      if (job.state == JobState.WAITING) {
        job.unmetNeeds = 0;
        for (int need : job.plan.needs()) {
          if (run.jobs.get(need).state != JobState.SUCCEEDED) {
            job.unmetNeeds++;
          }
        }
      }
    }
    effects.recordTogether(together);
    publish(run, null, EventType.RUN_RETRIED, null);
    for (JobEntry job : plan.reset().keySet()) {
      publish(run, job, EventType.JOB_RETRIED, job.reason);
    }
    for (JobEntry job : plan.reset().keySet()) {
      if (job.state != JobState.WAITING) {
        continue; // skipped meanwhile behind another
      }
      JobEntry blocker = firstUnsuccessfulTerminalNeed(job);
      if (blocker != null) {
        skipDependents(blocker, now);
      } else if (job.unmetNeeds == 0) {
        makeReady(job, now);
      }
    }
    finishRunIfDone(run, now);
    return new RetryOutcome(RetryOutcome.Status.RETRIED, null, names);
  }

  // ---- scheduling ----------------------------------------------------------------------------

  /** How many of each project's best jobs a round looks at first (more if cores stay free). */
  static final int FIRST_WINDOW = 32;

  /**
   * One scheduling round; placements become assignments. A round looks at the jobs enqueued since
   * the last one and at the best few of every project, widening only while cores stay free and
   * jobs were left out; after the drones changed it looks at everything once.
   */
  public void schedule() {
    if (ready.isEmpty()) {
      return;
    }
    long now = now();
    ready.releaseDue(now);
    boolean dronesChanged = roster.consumeChanged();
    List<JobEntry> fresh = ready.takeFresh();
    if (!dronesChanged && fresh.isEmpty() && roster.freeAcceptingCores(now) == 0) {
      return; // nothing can be placed and nothing new needs a verdict
    }
    if (dronesChanged) {
      List<JobEntry> everything = new ArrayList<>(ready.waitingJobs());
      everything.addAll(ready.unschedulable());
      round(everything, now);
      return;
    }
    java.util.Set<JobEntry> candidates = new java.util.LinkedHashSet<>(fresh);
    int perProject = Math.max(FIRST_WINDOW, 2 * roster.freeAcceptingCores(now));
    while (true) {
      ReadyQueue.Window window = ready.window(perProject);
      candidates.addAll(window.jobs());
      round(new ArrayList<>(candidates), now);
      if (!window.truncated() || roster.freeAcceptingCores(now) == 0 || perProject >= ready.size()) {
        return;
      }
      candidates.clear();
      perProject *= 4;
    }
  }

  /** Runs the scheduler over these candidates and applies its placements and verdicts. */
  private void round(List<JobEntry> candidates, long now) {
    List<ReadyJob> input = new ArrayList<>(candidates.size());
    Map<Long, JobEntry> byId = new HashMap<>();
    for (JobEntry job : candidates) {
      if (ready.contains(job)) {
        byId.put(job.id, job);
        input.add(job.candidate);
        job.deferral = null;
      }
    }
    if (input.isEmpty()) {
      return;
    }
    SchedulingResult result = scheduler.schedule(new SchedulingInput(now, input, roster.slots(now),
        roster.runningCoresByProject()));
    for (org.buildswarm.orchestrator.schedule.Deferred deferred : result.deferred()) {
      byId.get(deferred.jobId()).deferral = deferred;
    }
    Set<Long> unschedulable = new java.util.HashSet<>();
    for (Unschedulable verdict : result.unschedulable()) {
      unschedulable.add(verdict.jobId());
      markUnschedulable(byId.get(verdict.jobId()), verdict.reason(), now);
    }
    for (JobEntry job : byId.values()) {
      if (job.state == JobState.UNSCHEDULABLE && !unschedulable.contains(job.id)) {
        job.state = JobState.QUEUED;
        job.reason = null;
        ready.markSchedulable(job);
        record(job, now, EventType.JOB_SCHEDULABLE, Map.of(), null);
      }
    }
    for (Placement placement : result.placements()) {
      place(byId.get(placement.jobId()), roster.get(placement.drone()), now);
    }
  }

  private void markUnschedulable(JobEntry job, String reason, long now) {
    if (job.state == JobState.UNSCHEDULABLE && reason.equals(job.reason)) {
      return;
    }
    if (job.state != JobState.UNSCHEDULABLE) {
      job.unschedulableSince = now;
    }
    job.state = JobState.UNSCHEDULABLE;
    job.reason = reason;
    ready.markUnschedulable(job);
    record(job, now, EventType.JOB_UNSCHEDULABLE, Map.of("reason", reason), null);
  }

  private void place(JobEntry job, DroneEntry drone, long now) {
    ready.remove(job);
    job.deferral = null;
    job.attempt = Math.max(job.attempt, job.attemptFloor) + 1;
    job.token = (epoch << 32) | (++tokenCounter & 0xffff_ffffL);
    job.state = JobState.ASSIGNED;
    job.drone = drone.name;
    job.reason = null;
    job.tests = null; // a new attempt has no results yet
    job.cache = null;
    job.cancelRequested = false;
    job.stepsEnded = false;
    roster.attach(drone, job, now);
    job.attemptAssignedAt = now;
    job.attemptStartedAt = null;
    job.pendingAttempt = new AttemptStatus(job.id, job.attempt, job.token, drone.name, now, null, null, null, null);
    RunStatus runStatus = null;
    if (job.run.state == RunState.QUEUED) {
      job.run.state = RunState.RUNNING;
      runStatus = new RunStatus(RunState.RUNNING, null);
    }
    record(job, now, EventType.JOB_ASSIGNED, Map.of("drone", drone.name, "attempt", job.attempt, "token", job.token), runStatus);
    JobExecution execution = new JobExecution(job.plan.steps(), environmentOf(job), job.plan.cores(),
        job.plan.timeoutMs(), job.run.source, job.plan.artifacts(), job.plan.secrets(), job.plan.jobSetPath(),
        job.plan.caches(), job.run.project, job.plan.reports(), cacheSpec(job));
    effects.assign(drone.name, new AssignJob(drone.name, epoch, job.attemptRef(), job.run.id, job.plan.name(), execution,
        jobTokens.mint(job.attemptRef())), mustNotRunTwice(job));
  }

  /**
   * How the drone finds the job's result by its inputs: the planner's part, completed with the keys
   * its needs turned out to have. A need without a key (it was added by a job set, or finished
   * before keys existed) stands for itself alone, so the job runs rather than reuse a wrong result.
   */
  private static org.buildswarm.protocol.message.JobCacheSpec cacheSpec(JobEntry job) {
    org.buildswarm.orchestrator.plan.PlannedCache cache = job.plan.cache();
    if (cache == null) {
      return null;
    }
    List<String> needKeys = new ArrayList<>(job.plan.needs().size());
    for (int index : job.plan.needs()) {
      JobEntry need = job.run.jobs.get(index);
      needKeys.add(need.cache != null ? need.cache.key() : "unkeyed:" + need.id);
    }
    return new org.buildswarm.protocol.message.JobCacheSpec(cache.definitionKey(), cache.inputs(), cache.env(),
        cache.outputs(), needKeys, cache.reuse());
  }

  /** The job's environment variables; deploy jobs also learn what they deploy and what it replaces. */
  private Map<String, String> environmentOf(JobEntry job) {
    if (job.plan.deploy() == null) {
      return job.plan.env();
    }
    Map<String, String> env = new LinkedHashMap<>(job.plan.env());
    Saga saga = job.run.sagas.get(job.plan.deploy().environment());
    env.put("BUILDSWARM_ENVIRONMENT", job.plan.deploy().environment());
    env.put("BUILDSWARM_DEPLOY_VERSION", job.run.version());
    env.put("BUILDSWARM_PREVIOUS_VERSION", saga == null || saga.previousVersion == null ? "" : saga.previousVersion);
    if (job.plan.deploy().isRollback()) {
      env.put("BUILDSWARM_ROLLBACK", "true");
    }
    return env;
  }

  // ---- reports from drones --------------------------------------------------------------------

  /** The drone's answer to an assignment. */
  public void assignAcknowledged(String drone, AttemptRef attempt, AssignReply reply) {
    if (!reply.accepted()) {
      DroneEntry entry = roster.get(drone);
      if (entry != null && AssignReply.STOPPING.equals(reply.reason())) {
        entry.refusal = HostRefusal.LEAVING; // its goodbye may still be on the way
      } else if (entry != null && reply.host() != null) {
        roster.refusing(entry, reply.host()); // no more offers until its heartbeat says otherwise
      }
      // An answer, however negative, is not a fault of the drone's: it does not count towards grounding it.
      assignFailed(drone, attempt, "refused: " + reply.reason(), false, false);
    }
  }

  /** The assignment was not sent (its placement could not be stored first): undo it; nobody's fault. */
  public void assignNotSent(String droneName, AttemptRef attempt, String why) {
    assignFailed(droneName, attempt, why, false, false);
  }

  /** The assignment could not be delivered: undo the placement and place the job elsewhere. */
  public void assignFailed(String droneName, AttemptRef attempt, String why) {
    assignFailed(droneName, attempt, why, false);
  }

  /**
   * @param mayHaveStarted the drone may have got it (no answer came in time): a deploy step that is
   *     not idempotent is held rather than placed again
   */
  public void assignFailed(String droneName, AttemptRef attempt, String why, boolean mayHaveStarted) {
    assignFailed(droneName, attempt, why, mayHaveStarted, true);
  }

  private void assignFailed(String droneName, AttemptRef attempt, String why, boolean mayHaveStarted,
      boolean droneAtFault) {
    JobEntry job = jobs.get(attempt.jobId());
    if (job == null || job.token != attempt.token() || job.state != JobState.ASSIGNED) {
      return;
    }
    long now = now();
    counters.assignFailures++;
    closeAttempt(job, now, "REFUSED", null);
    job.avoid.add(droneName);
    DroneEntry drone = roster.get(droneName);
    if (drone != null) {
      roster.detach(drone, job);
      if (droneAtFault && !drone.isLeaving()) {
        roster.infrastructureFailure(drone, now);
      }
    }
    if (job.cancelRequested) {
      settle(job, JobState.CANCELLED, "cancelled before it started", now);
      return;
    }
    if (mayHaveStarted && mustNotRunTwice(job)) {
      hold(job, now, "drone " + droneName + " did not answer the assignment (" + why + ")");
      return;
    }
    backToQueue(job, now, EventType.JOB_ASSIGN_FAILED, "drone " + droneName + " did not take it (" + why + ")", false);
  }

  public ReportReply started(JobStarted report) {
    JobEntry job = jobs.get(report.attempt().jobId());
    if (job != null && job.reportedTokens.contains(report.attempt().token())) {
      return ReportReply.ok(report.drone()); // overtaken by its own finish report
    }
    if (!isCurrent(job, report.drone(), report.attempt())) {
      return stale(job, report.drone(), report.attempt(), "job.started");
    }
    if (job.state == JobState.ASSIGNED) {
      long now = now();
      job.state = JobState.RUNNING;
      job.startedAt = report.startedAt();
      job.attemptStartedAt = report.startedAt();
      job.pendingAttempt = new AttemptStatus(job.id, job.attempt, job.token, job.drone, job.attemptAssignedAt,
          report.startedAt(), null, null, null);
      record(job, now, EventType.JOB_STARTED, Map.of("drone", report.drone(), "attempt", job.attempt), null);
    }
    return ReportReply.ok(report.drone());
  }

  /**
   * The attempt's steps are over and it only publishes now: its cores go back to its drone for other
   * work. The job stays running; its dependents wait for its finished report.
   */
  public ReportReply stepsEnded(org.buildswarm.protocol.message.JobStepsEnded report) {
    JobEntry job = jobs.get(report.attempt().jobId());
    if (job != null && job.reportedTokens.contains(report.attempt().token())) {
      return ReportReply.ok(report.drone()); // overtaken by its own finish report
    }
    if (!isCurrent(job, report.drone(), report.attempt())) {
      return stale(job, report.drone(), report.attempt(), "job.steps_ended");
    }
    job.stepsEnded = true;
    return ReportReply.ok(report.drone());
  }

  public ReportReply finished(JobFinished report) {
    return finished(report, null);
  }

  /** Whether this report is the one the job waits for (neither stale nor a resend); a cheap check before planning a job set. */
  public boolean awaits(JobFinished report) {
    JobEntry job = jobs.get(report.attempt().jobId());
    return job != null && !job.reportedTokens.contains(report.attempt().token())
        && isCurrent(job, report.drone(), report.attempt());
  }

  /** The job set file a job declares (for problems' file name); null if none or unknown. */
  public String jobSetPath(long jobId) {
    JobEntry job = jobs.get(jobId);
    return job == null ? null : job.plan.jobSetPath();
  }

  /**
   * @param jobSet the planned job set the report carried (null when none): added to the run when
   *     the job succeeded; a refused one fails the job
   */
  public ReportReply finished(JobFinished report, JobSetPlan jobSet) {
    JobEntry job = jobs.get(report.attempt().jobId());
    if (job != null && job.reportedTokens.contains(report.attempt().token())) {
      return ReportReply.ok(report.drone()); // a resend of a report already applied (its ack was lost)
    }
    if (!isCurrent(job, report.drone(), report.attempt())) {
      return stale(job, report.drone(), report.attempt(), "job.finished");
    }
    long now = now();
    job.reportedTokens.add(report.attempt().token());
    if (job.state == JobState.ASSIGNED && report.startedAt() > 0) {
      // It ended before its "started" report went out: record the start from the result.
      job.state = JobState.RUNNING;
      job.startedAt = report.startedAt();
      job.attemptStartedAt = report.startedAt();
      record(job, now, EventType.JOB_STARTED, Map.of("drone", report.drone(), "attempt", job.attempt), null);
    }
    // When it ended is what the drone measured, not when this orchestrator heard of it (it may have
    // been away, and the drone held the report until it came back).
    long endedAt = report.finishedAt() > 0 ? Math.max(report.finishedAt(), job.startedAt == null ? 0 : job.startedAt)
        : now;
    closeAttempt(job, endedAt, report.outcome().name(), report.exitCode());
    roster.detach(roster.get(report.drone()), job);
    job.exitCode = report.exitCode();
    job.failedStep = report.failedStep();
    job.logTail = report.logTail();
    if (report.tests() != null) {
      job.tests = report.tests().summary();
      job.pendingTests = new org.buildswarm.orchestrator.store.AttemptTests(job.id, job.attempt, report.tests());
    }
    if (job.startedAt == null && report.startedAt() > 0) {
      job.startedAt = report.startedAt();
    }
    job.cache = job.plan.cache() == null ? null : report.cache();
    switch (report.outcome()) {
      case SUCCEEDED -> {
        boolean reused = job.cache != null && job.cache.hit();
        if (!reused) {
          // A restored result took no build time: it says nothing about how long the job takes.
          learnDuration(job, report.finishedAt() - (job.startedAt == null ? report.startedAt() : job.startedAt));
        }
        String refused = job.plan.jobSetPath() == null ? null : extend(job, jobSet, now);
        if (refused != null) {
          settle(job, JobState.FAILED, refused, now, endedAt);
        } else {
          settle(job, JobState.SUCCEEDED, reused ? "cached from run " + job.cache.fromRun()
              + (job.cache.fromJob() == null || job.cache.fromJob().equals(job.plan.name()) ? ""
                  : " (" + job.cache.fromJob() + ")") : null, now, endedAt);
        }
      }
      case CANCELLED -> {
        if (job.cancelRequested) {
          settle(job, JobState.CANCELLED, job.reason == null ? "cancelled" : job.reason, now, endedAt);
        } else {
          infrastructureRequeue(job, now, "drone " + report.drone() + " stopped it (" + report.message() + ")");
        }
      }
      case FAILED, TIMED_OUT -> jobFailed(job, report, now, endedAt);
      case INFRA_ERROR -> {
        DroneEntry drone = roster.get(report.drone());
        if (drone != null && !drone.isLeaving()) {
          roster.infrastructureFailure(drone, now);
        }
        infrastructureRequeue(job, now, "drone " + report.drone() + " could not run it: " + report.message());
      }
    }
    return ReportReply.ok(report.drone());
  }

  private void learnDuration(JobEntry job, long durationMs) {
    learnDuration(job.run.project, job.plan.group(), durationMs);
  }

  private void learnDuration(String project, String group, long durationMs) {
    if (durationMs > 0) {
      estimates.merge(project + '\u0000' + group, durationMs, (old, latest) -> (old * 3 + latest) / 4);
    }
  }

  /**
   * Learns how long jobs take from stored attempts, oldest first, as their reports taught it when
   * they came in: what a new leader knows before it plans its first run.
   */
  public void learnDurations(List<org.buildswarm.orchestrator.store.JobDuration> history) {
    for (org.buildswarm.orchestrator.store.JobDuration attempt : history) {
      learnDuration(attempt.project(), attempt.group(), attempt.durationMs());
    }
  }

  /**
   * How long a job of this project and pipeline job name usually takes, or 0 if never seen. On the
   * core's thread, like everything else here: a planner on a worker is given the values, not the core.
   */
  public long estimateMs(String project, String group) {
    return estimates.getOrDefault(project + '\u0000' + group, 0L);
  }

  private void jobFailed(JobEntry job, JobFinished report, long now, long endedAt) {
    String what = report.outcome() == org.buildswarm.protocol.message.JobOutcome.TIMED_OUT
        ? "timed out after " + formatMillis(job.plan.timeoutMs())
        : report.failedStep() != null ? "step \"" + report.failedStep() + "\" exited with " + report.exitCode()
        : report.message() != null && !report.message().isBlank() ? report.message() : "failed";
    if (job.cancelRequested) {
      settle(job, JobState.CANCELLED, "cancelled", now, endedAt);
      return;
    }
    job.failedOn.add(report.drone());
    job.avoid.add(report.drone());
    if (job.failedOn.size() >= 2) {
      settle(job, JobState.FAILED, what + "; it failed on two drones (" + String.join(", ", job.failedOn)
          + "), so it is a real failure, not a flaky drone", now, endedAt);
    } else if (job.retriesUsed < job.plan.retries()) {
      job.retriesUsed++;
      long backoff = job.plan.retryBackoffMs() << Math.min(job.retriesUsed - 1, 16);
      job.notBefore = now + backoff;
      backToQueue(job, now, EventType.JOB_RETRY_SCHEDULED, what + "; retry " + job.retriesUsed + " of " + job.plan.retries()
          + " in " + formatMillis(backoff), true);
    } else {
      settle(job, JobState.FAILED, what, now, endedAt);
    }
  }

  /**
   * Who may act for the attempt a job token names, while that attempt is the job's current one on
   * a drone; empty for a forged, malformed or stale token.
   */
  public Optional<JobTokenInfo> verifyJobToken(String token) {
    return jobTokens.verify(token).flatMap(attempt -> {
      JobEntry job = jobs.get(attempt.jobId());
      if (job == null || !job.state.isOnDrone() || job.token != attempt.token() || job.attempt != attempt.attempt()) {
        return Optional.empty();
      }
      return Optional.of(new JobTokenInfo(job.run.project, job.run.id, job.id, job.attempt, job.plan.name(),
          job.plan.artifacts().stream().map(ArtifactSpec::name).toList()));
    });
  }

  private boolean isCurrent(JobEntry job, String drone, AttemptRef attempt) {
    return job != null && (job.state.isOnDrone() || job.state == JobState.HELD) && job.token == attempt.token()
        && drone.equals(job.drone);
  }

  /**
   * Adds an emitted job set to the emitter's run, in one stored change.
   *
   * @return null when added, else why the emitter fails
   */
  private String extend(JobEntry emitter, JobSetPlan jobSet, long now) {
    if (jobSet == null) {
      return "it declares the job set " + emitter.plan.jobSetPath() + " but its result carried none";
    }
    if (jobSet.problem() != null) {
      return "its job set was refused: " + jobSet.problem();
    }
    RunEntry run = emitter.run;
    Map<String, JobEntry> byName = new HashMap<>();
    run.jobs.forEach(job -> byName.put(job.plan.name(), job));
    if (alreadyAdded(emitter, jobSet, byName)) {
      return null; // stored before a restart cut the emitter's own report short; it ran again
    }
    Set<String> names = byName.keySet();
    for (org.buildswarm.orchestrator.plan.PlannedJob planned : jobSet.jobs()) {
      if (names.contains(planned.name())) {
        return "its job set was refused: job \"" + planned.name() + "\" is already a job of this run";
      }
    }
    if (run.jobs.size() + jobSet.jobs().size() > MAX_JOBS_PER_RUN) {
      return "its job set was refused: the run would have " + (run.jobs.size() + jobSet.jobs().size())
          + " jobs; the limit is " + MAX_JOBS_PER_RUN;
    }
    int base = run.jobs.size();
    List<JobEntry> added = new ArrayList<>();
    List<StoredJob> addedRows = new ArrayList<>();
    for (org.buildswarm.orchestrator.plan.PlannedJob planned : jobSet.jobs()) {
      List<Integer> needs = new ArrayList<>();
      planned.needs().forEach(need -> needs.add(base + need));
      if (needs.isEmpty()) {
        needs.add(emitter.plan.index());
      }
      JobEntry job = new JobEntry((epoch << 32) | ++addedJobCounter, run, planned.at(base + added.size(), needs),
          JobState.WAITING);
      added.add(job);
    }
    List<JobEntry> laterDependents = List.copyOf(emitter.dependents);
    for (JobEntry job : added) {
      run.jobs.add(job);
      jobs.put(job.id, job);
    }
    for (JobEntry job : added) {
      for (int need : job.plan.needs()) {
        JobEntry needed = run.jobs.get(need);
        needed.dependents.add(job);
        if (needed.state != JobState.SUCCEEDED) {
          job.unmetNeeds++;
        }
      }
      addedRows.add(new StoredJob(job.id, run.id, job.plan, job.status()));
    }
    // What came after the emitter now comes after everything it emitted.
    List<StoredJob> replanned = new ArrayList<>();
    for (JobEntry dependent : laterDependents) {
      List<Integer> needs = new ArrayList<>(dependent.plan.needs());
      for (JobEntry job : added) {
        needs.add(job.plan.index());
        job.dependents.add(dependent);
        dependent.unmetNeeds++;
      }
      dependent.plan = dependent.plan.withNeeds(needs);
      replanned.add(new StoredJob(dependent.id, run.id, dependent.plan, dependent.status()));
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("emittedBy", emitter.plan.name());
    data.put("jobs", added.size());
    effects.record(StateChange.of(now, run.id, emitter.id, EventType.RUN_EXTENDED, data)
        .withJobsAdded(addedRows, replanned));
    publish(run, null, EventType.RUN_EXTENDED, null);
    return null;
  }

  /**
   * Whether this emitter's job set is in the run already (stored before a restart cut the emitter's
   * own report short): its jobs, with the same steps, in one block in set order, the first ones
   * needing the emitter.
   */
  private static boolean alreadyAdded(JobEntry emitter, JobSetPlan jobSet, Map<String, JobEntry> byName) {
    if (jobSet.jobs().isEmpty()) {
      return false;
    }
    JobEntry first = byName.get(jobSet.jobs().get(0).name());
    if (first == null || first.plan.index() <= emitter.plan.index()) {
      return false;
    }
    for (int i = 0; i < jobSet.jobs().size(); i++) {
      org.buildswarm.orchestrator.plan.PlannedJob planned = jobSet.jobs().get(i);
      JobEntry existing = byName.get(planned.name());
      if (existing == null || existing.plan.index() != first.plan.index() + i
          || !existing.plan.steps().equals(planned.steps())
          || (planned.needs().isEmpty() && !existing.plan.needs().equals(List.of(emitter.plan.index())))) {
        return false;
      }
    }
    return true;
  }

  /**
   * An operator's decision about a deploy step that was lost mid-deploy ({@link JobState#HELD}):
   * {@code retry} runs it again, {@code failed} fails it (the saga rolls back), {@code succeeded}
   * takes it as done.
   *
   * @return null when applied, else why not
   */
  public String decide(long jobId, String decision, String requestedBy) {
    JobEntry job = jobs.get(jobId);
    if (job == null || job.state != JobState.HELD) {
      return "job " + jobId + " is not held (only deploy steps lost mid-deploy wait for a decision)";
    }
    long now = now();
    String who = requestedBy == null ? "an operator" : requestedBy;
    switch (decision) {
      case "retry" -> backToQueue(job, now, EventType.JOB_REQUEUED, who + " decided to run it again", false);
      case "failed" -> settle(job, JobState.FAILED, who + " marked the lost deploy step failed", now);
      case "succeeded" -> settle(job, JobState.SUCCEEDED, null, now);
      default -> {
        return "unknown decision \"" + decision + "\"; use retry, failed or succeeded";
      }
    }
    return null;
  }

  /** A drone that comes back still running a held deploy step gets it back. */
  boolean readoptHeld(DroneEntry drone, AttemptRef attempt, long now) {
    JobEntry job = jobs.get(attempt.jobId());
    if (job == null || job.state != JobState.HELD || job.token != attempt.token() || !drone.name.equals(job.drone)) {
      return false;
    }
    job.state = job.startedAt == null ? JobState.ASSIGNED : JobState.RUNNING;
    job.reason = null;
    roster.attach(drone, job, now);
    job.attemptAssignedAt = now;
    job.attemptStartedAt = job.startedAt;
    record(job, now, EventType.JOB_READOPTED, Map.of("drone", drone.name), null);
    return true;
  }

  private ReportReply stale(JobEntry job, String drone, AttemptRef attempt, String what) {
    counters.staleReports++;
    long runId = job == null ? SWARM_RUN_ID : job.run.id;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("drone", drone);
    data.put("report", what);
    data.put("token", attempt.token());
    if (job != null) {
      data.put("currentToken", job.token);
    }
    effects.record(StateChange.of(now(), runId, attempt.jobId(), EventType.REPORT_STALE, data));
    return ReportReply.stale(drone, "attempt " + attempt.attempt() + " (token " + attempt.token() + ") is no longer current");
  }

  // ---- time ------------------------------------------------------------------------------------

  /** Expires leases, fails jobs unschedulable past their grace. Call a few times a second. */
  public void tick() {
    long now = now();
    roster.expireLeases(now);
    if (options.unschedulableGraceMs() >= 0) {
      List<JobEntry> expired = new ArrayList<>();
      for (JobEntry job : ready.unschedulable()) {
        if (job.state == JobState.UNSCHEDULABLE && now - job.unschedulableSince >= options.unschedulableGraceMs()) {
          expired.add(job);
        }
      }
      for (JobEntry job : expired) {
        long waited = now - job.unschedulableSince;
        settle(job, JobState.FAILED, "unschedulable" + (waited > 0 ? " for " + formatMillis(waited) : "") + ": "
            + job.reason, now);
      }
    }
  }

  // ---- transitions (package-private: DroneRoster uses them) -------------------------------------

  /** An attempt lost to drone trouble: requeue without spending the job's retry budget, up to the cap. */
  void infrastructureRequeue(JobEntry job, long now, String reason) {
    closeAttempt(job, now, "LOST", null);
    if (job.cancelRequested) {
      settle(job, JobState.CANCELLED, "cancelled", now);
      return;
    }
    if (mustNotRunTwice(job)) {
      hold(job, now, reason);
      return;
    }
    if (job.state == JobState.HELD) {
      return; // still waiting for a decision
    }
    job.infraRetriesUsed++;
    if (job.infraRetriesUsed > options.infraRetryCap()) {
      settle(job, JobState.FAILED, reason + "; gave up after " + options.infraRetryCap() + " drone failures", now);
      return;
    }
    backToQueue(job, now, EventType.JOB_REQUEUED, reason, false);
  }

  /** A deploy step that is not idempotent and may have started: running it again blindly could deploy twice. */
  private static boolean mustNotRunTwice(JobEntry job) {
    return job.plan.isDeployStep() && !job.plan.deploy().idempotent() && job.state != JobState.HELD;
  }

  private void hold(JobEntry job, long now, String reason) {
    DroneEntry drone = job.drone == null ? null : roster.get(job.drone);
    if (drone != null) {
      roster.detach(drone, job);
    }
    job.state = JobState.HELD;
    job.reason = reason + "; a deploy step that is not idempotent is not run again by itself: waiting for the "
        + "drone's report or an operator's decision (retry, failed, succeeded)";
    record(job, now, EventType.DEPLOY_HELD, Map.of("reason", job.reason), null);
  }

  private void backToQueue(JobEntry job, long now, EventType type, String reason, boolean ownFailure) {
    closeAttempt(job, now, "REQUEUED", null);
    DroneEntry drone = job.drone == null ? null : roster.get(job.drone);
    if (drone != null) {
      roster.detach(drone, job);
    }
    job.state = JobState.QUEUED;
    job.reason = reason;
    job.readySince = now;
    job.startedAt = null;
    if (!ownFailure) {
      job.notBefore = 0;
    }
    ready.add(job, now);
    record(job, now, type, Map.of("reason", reason), null);
  }

  void makeReady(JobEntry job, long now) {
    var deploy = job.plan.deploy();
    if (deploy != null && deploy.isRollback() && !job.rollbackActivated) {
      return; // runs only if its saga needs it
    }
    if (deploy != null && !deploy.isRollback() && deploy.skipReason() != null) {
      settle(job, JobState.SKIPPED, deploy.skipReason(), now);
      return;
    }
    WaitReason wait = gate(job, now);
    if (wait != null) {
      park(job, wait, now, true);
      return;
    }
    job.state = JobState.QUEUED;
    job.queuedAt = now;
    job.readySince = now;
    job.reason = null;
    ready.add(job, now);
    record(job, now, EventType.JOB_QUEUED, Map.of(), null);
  }

  /** Why a ready job must wait (its concurrency group, its environment), or null when it may be scheduled. */
  private WaitReason gate(JobEntry job, long now) {
    RunEntry run = job.run;
    if (run.concurrencyGroup != null && !run.cancelInProgress) {
      for (RunEntry other : runs.values()) {
        if (other.id < run.id && !other.state.isTerminal() && inSameGroup(other, run)) {
          return new WaitReason(WaitReason.Code.CONCURRENCY_GATE, "waiting for run " + other.id + " of concurrency group \""
              + run.concurrencyGroup + "\" to finish");
        }
      }
    }
    if (job.plan.isDeployStep()) {
      String behind = sagas.admit(job, now);
      return behind == null ? null : new WaitReason(WaitReason.Code.DEPLOY_GATE, behind);
    }
    return null;
  }

  private static boolean inSameGroup(RunEntry a, RunEntry b) {
    return a.concurrencyGroup != null && a.concurrencyGroup.equals(b.concurrencyGroup) && a.project.equals(b.project);
  }

  private void park(JobEntry job, WaitReason gate, long now, boolean recordIt) {
    String why = gate.message();
    boolean already = job.parked && why.equals(job.reason);
    job.state = JobState.QUEUED;
    job.parked = true;
    job.parkedBy = gate.code();
    job.reason = why;
    if (job.queuedAt == null) {
      job.queuedAt = now;
    }
    job.readySince = now;
    parked.add(job);
    if (recordIt && !already) {
      record(job, now, EventType.JOB_QUEUED, Map.of("reason", why), null);
    }
  }

  /** Gives every held-back job another look (an environment or a concurrency group came free). */
  void releaseParked(long now) {
    for (JobEntry job : List.copyOf(parked)) {
      if (!job.parked || job.state != JobState.QUEUED) {
        continue;
      }
      WaitReason wait = gate(job, now);
      if (wait == null) {
        parked.remove(job);
        job.parked = false;
        makeReady(job, now);
      } else if (!wait.message().equals(job.reason)) {
        job.reason = wait.message(); // now behind another run
        job.parkedBy = wait.code();
        record(job, now, EventType.JOB_QUEUED, Map.of("reason", wait.message()), null);
      }
    }
  }

  /** Ends a job for good; wakes or skips its dependents; finishes the run when it was the last. */
  void settle(JobEntry job, JobState terminal, String reason, long now) {
    settle(job, terminal, reason, now, now);
  }

  /** @param finishedAt when it ended where it ran (its drone's clock), or {@code now} */
  private void settle(JobEntry job, JobState terminal, String reason, long now, long finishedAt) {
    ready.remove(job);
    if (job.parked) {
      parked.remove(job);
      job.parked = false;
    }
    closeAttempt(job, now, terminal.name(), null);
    if (job.state.isOnDrone() && job.drone != null) {
      DroneEntry drone = roster.get(job.drone);
      if (drone != null) {
        roster.detach(drone, job);
      }
    }
    job.state = terminal;
    job.reason = reason;
    job.finishedAt = finishedAt;
    job.run.terminalJobs++;
    counters.jobsFinished.merge(terminal, 1L, Long::sum);
    record(job, now, EventType.jobEnded(terminal),
        reason == null ? Map.of() : Map.of("reason", reason), null);
    if (job.plan.deploy() != null) {
      // First, so a failed step's saga stops its later steps itself and says why.
      sagas.settled(job, now);
    }
    if (terminal == JobState.SUCCEEDED) {
      for (JobEntry dependent : job.dependents) {
        if (--dependent.unmetNeeds == 0 && dependent.state == JobState.WAITING) {
          makeReady(dependent, now);
        }
      }
    } else {
      skipDependents(job, now);
    }
    finishRunIfDone(job.run, now);
  }

  /** Every job downstream of {@code cause} that has not started is skipped, naming the need that stopped it. */
  private void skipDependents(JobEntry cause, long now) {
    record Skip(JobEntry job, JobEntry because) {}
    ArrayDeque<Skip> work = new ArrayDeque<>();
    List<JobEntry> skippedDeploys = new ArrayList<>();
    cause.dependents.forEach(dependent -> work.add(new Skip(dependent, cause)));
    while (!work.isEmpty()) {
      Skip skip = work.poll();
      JobEntry job = skip.job();
      if (job.state != JobState.WAITING) {
        continue;
      }
      String why = "needs \"" + skip.because().plan.name() + "\", which " + switch (skip.because().state) {
        case FAILED -> "failed";
        case CANCELLED -> "was cancelled";
        default -> "was skipped";
      };
      job.state = JobState.SKIPPED;
      job.reason = why;
      job.finishedAt = now;
      job.run.terminalJobs++;
      counters.jobsFinished.merge(JobState.SKIPPED, 1L, Long::sum);
      record(job, now, EventType.JOB_SKIPPED, Map.of("reason", why), null);
      job.dependents.forEach(dependent -> work.add(new Skip(dependent, job)));
      if (job.plan.deploy() != null) {
        skippedDeploys.add(job);
      }
    }
    for (JobEntry job : skippedDeploys) {
      sagas.settled(job, now);
    }
  }

  private void finishRunIfDone(RunEntry run, long now) {
    if (run.state.isTerminal() || run.terminalJobs < run.jobs.size()) {
      return;
    }
    boolean failed = false;
    boolean cancelled = false;
    for (JobEntry job : run.jobs) {
      failed |= job.state == JobState.FAILED;
      cancelled |= job.state == JobState.CANCELLED;
    }
    run.state = failed ? RunState.FAILED : cancelled ? RunState.CANCELLED : RunState.SUCCEEDED;
    run.finishedAt = now;
    RunStatus status = new RunStatus(run.state, now);
    effects.record(StateChange.of(now, run.id, null, EventType.runEnded(run.state), Map.of()).withRun(status));
    publish(run, null, EventType.RUN_FINISHED, null);
    if (run.concurrencyGroup != null) {
      releaseParked(now);
    }
    keepFinished(run);
  }

  /** Keeps a finished run among the latest ones in memory, letting the oldest go. */
  private void keepFinished(RunEntry run) {
    finishedRuns.add(run);
    while (finishedRuns.size() > options.finishedRunsKept()) {
      RunEntry evicted = finishedRuns.poll();
      runs.remove(evicted.id);
      for (JobEntry job : evicted.jobs) {
        jobs.remove(job.id);
      }
    }
  }

  /** Ends the job's open attempt (if any); stored with the job's next recorded change. */
  private void closeAttempt(JobEntry job, long endedAt, String outcome, Integer exitCode) {
    if (job.attemptAssignedAt == 0) {
      return;
    }
    job.pendingAttempt = new AttemptStatus(job.id, job.attempt, job.token, job.drone, job.attemptAssignedAt,
        job.attemptStartedAt, endedAt, outcome, exitCode);
    job.attemptAssignedAt = 0;
  }

  private void record(JobEntry job, long now, EventType type, Map<String, Object> data, RunStatus runStatus) {
    AttemptStatus attempt = job.pendingAttempt;
    job.pendingAttempt = null;
    org.buildswarm.orchestrator.store.AttemptTests tests = job.pendingTests;
    job.pendingTests = null;
    effects.record(StateChange.of(now, job.run.id, job.id, type, data)
        .withJob(job.status())
        .withRun(runStatus)
        .withAttempt(attempt)
        .withTests(tests));
    publish(job.run, job, type, job.reason);
  }

  private void publish(RunEntry run, JobEntry job, EventType type, String reason) {
    effects.publish(new RunEvent(type, run.id, job == null ? null : job.id, job == null ? null : job.plan.name(),
        job == null ? null : job.state, run.state, job == null ? null : job.drone, reason, now(),
        job == null ? null : job.tests));
  }

  /** An event about a run as a whole (a deploy saga's progress), with the deploy history change it makes. */
  void recordRunEvent(RunEntry run, long now, EventType type, Map<String, Object> data,
      org.buildswarm.orchestrator.store.DeploymentStatus deployment) {
    effects.record(StateChange.of(now, run.id, null, type, data).withDeployment(deployment));
    publish(run, null, type, null);
  }

  void recordEnvironmentEvent(EventType type, Map<String, Object> data,
      org.buildswarm.orchestrator.store.DeploymentStatus deployment) {
    effects.record(StateChange.of(now(), SWARM_RUN_ID, null, type, data).withDeployment(deployment));
  }

  void recordSwarmEvent(EventType type, Map<String, Object> data) {
    recordSwarmEvent(type, data, (DroneStatus) null);
  }

  void recordSwarmEvent(EventType type, Map<String, Object> data, DroneStatus drone) {
    effects.record(StateChange.of(now(), SWARM_RUN_ID, null, type, data).withDrone(drone));
  }

  void commandDrone(String drone, DroneCommand command) {
    effects.command(drone, command);
  }

  JobEntry job(long jobId) {
    return jobs.get(jobId);
  }

  // ---- queries -------------------------------------------------------------------------------

  public Optional<RunDetail> runDetail(long runId) {
    RunEntry run = runs.get(runId);
    return run == null ? Optional.empty() : Optional.of(CoreViews.detail(run, explainer()));
  }

  private WaitExplainer explainer() {
    return new WaitExplainer(roster, jobs::get, now());
  }

  /** The in-memory summary of a run, fresher than the store's. */
  public Optional<RunSummary> runSummary(long runId) {
    RunEntry run = runs.get(runId);
    return run == null ? Optional.empty() : Optional.of(CoreViews.summary(run));
  }

  public DroneList droneList() {
    long now = now();
    List<DroneView> views = new ArrayList<>();
    for (DroneEntry drone : roster.all()) {
      views.add(CoreViews.drone(drone, now));
    }
    return new DroneList(views);
  }

  /** The orchestrator at a glance; the caller adds what it knows of the store. */
  public SwarmStatus status(String leader, boolean storeAvailable, long eventsPending) {
    long now = now();
    Map<JobState, Integer> byState = new java.util.EnumMap<>(JobState.class);
    int activeRuns = 0;
    for (RunEntry run : runs.values()) {
      if (!run.state.isTerminal()) {
        activeRuns++;
        for (JobEntry job : run.jobs) {
          byState.merge(job.state, 1, Integer::sum);
        }
      }
    }
    Long oldest = null;
    for (JobEntry job : ready.all()) {
      oldest = oldest == null ? job.readySince : Math.min(oldest, job.readySince);
    }
    int online = 0;
    int total = 0;
    int busy = 0;
    int accepting = 0;
    int free = 0;
    for (DroneEntry drone : roster.all()) {
      if (drone.presence == DroneEntry.Presence.ONLINE) {
        online++;
        total += drone.cores;
        busy += drone.busyCores();
        if (drone.accepting(now)) {
          accepting++;
          free += Math.max(0, drone.cores - drone.busyCores());
        }
      }
    }
    Map<WaitReason.Code, Integer> waiting = new java.util.EnumMap<>(WaitReason.Code.class);
    WaitExplainer explainer = explainer();
    for (JobEntry job : ready.all()) {
      waiting.merge(explainer.explain(job).code(), 1, Integer::sum);
    }
    for (JobEntry job : parked) {
      waiting.merge(explainer.explain(job).code(), 1, Integer::sum);
    }
    return new SwarmStatus(leader, epoch, now, activeRuns, byState, oldest, online, total, busy, counters.staleReports,
        counters.leasesExpired, counters.jobsFinished(), storeAvailable, eventsPending, accepting, free, waiting);
  }

  /**
   * Ready jobs not yet placed — waiting for a drone, or held back behind another run's deploy or
   * its concurrency group — longest-waiting first, at most {@code limit} of them.
   */
  public QueueList queue(int limit) {
    List<JobEntry> waiting = new ArrayList<>(ready.all());
    waiting.addAll(parked); // ready, but behind a deploy or a concurrency group: the reason says which
    waiting.sort(java.util.Comparator.comparingLong((JobEntry job) -> job.readySince).thenComparingLong(job -> job.id));
    List<QueuedJob> shown = new ArrayList<>(Math.min(limit, waiting.size()));
    WaitExplainer explainer = explainer();
    for (JobEntry job : waiting.subList(0, Math.min(Math.max(0, limit), waiting.size()))) {
      shown.add(new QueuedJob(CoreViews.job(job, explainer), job.run.project, job.run.trigger.priority(), job.readySince,
          job.notBefore > now() ? job.notBefore : 0));
    }
    return new QueueList(shown, waiting.size(), ready.unschedulable().size());
  }

  // ---- environments ----------------------------------------------------------------------------

  /** The environments' pointers as stored, before any run is resumed. */
  public void restoreEnvironments(List<org.buildswarm.protocol.api.EnvironmentView> stored) {
    for (var environment : stored) {
      sagas.restore(environment.project(), environment.name(), environment.currentVersion(), environment.currentRun(),
          environment.previousVersion(), environment.previousRun(), environment.deployingRun());
    }
  }

  /** Environments known (deployed to, or being deployed to), with their pointers and deploying run; no history. */
  public List<org.buildswarm.protocol.api.EnvironmentView> environments(String project) {
    List<org.buildswarm.protocol.api.EnvironmentView> views = new ArrayList<>();
    for (EnvironmentEntry environment : sagas.all()) {
      if (project == null || project.equals(environment.project)) {
        views.add(new org.buildswarm.protocol.api.EnvironmentView(environment.project, environment.name,
            environment.currentVersion, environment.currentRun, environment.previousVersion, environment.previousRun,
            environment.deploying == null ? null : environment.deploying.id, now(), List.of()));
      }
    }
    views.sort(java.util.Comparator.comparing(org.buildswarm.protocol.api.EnvironmentView::project)
        .thenComparing(org.buildswarm.protocol.api.EnvironmentView::name));
    return views;
  }

  /**
   * Instant rollback: points the environment at {@code version} (deployed by {@code deployedByRun}),
   * or at its previous version when {@code version} is null. Nothing runs.
   *
   * @return null when done, else why not
   */
  public String rollbackEnvironment(String project, String environment, String version, Long deployedByRun,
      String requestedBy) {
    EnvironmentEntry entry = sagas.find(project, environment);
    if (entry == null) {
      return "project " + project + " has no environment " + environment;
    }
    if (version == null) {
      if (entry.previousVersion == null) {
        return environment + " has no previous version to go back to";
      }
      version = entry.previousVersion;
      deployedByRun = entry.previousRun;
    }
    return sagas.activate(project, environment, version, deployedByRun == null ? 0 : deployedByRun, requestedBy, now());
  }

  /** Jobs waiting for a drone (QUEUED or UNSCHEDULABLE). */
  public int readyJobs() {
    return ready.size();
  }

  static String formatMillis(long millis) {
    if (millis < 1000) {
      return millis + "ms";
    }
    return org.buildswarm.protocol.pipeline.impl.Durations.format(java.time.Duration.ofMillis(millis));
  }
}
