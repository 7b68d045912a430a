package org.buildswarm.orchestrator.core;

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
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.Heartbeat;
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

  private final CoreOptions options;
  private final Scheduler scheduler;
  private final LongSupplier clock;
  private final Effects effects;
  private final long epoch;
  private final DroneRoster roster;
  private final CoreCounters counters = new CoreCounters();
  private final JobTokens jobTokens;
  private long tokenCounter;

  /** Expected duration of a job, by project and pipeline job name: a moving average of its successes. */
  private final Map<String, Long> estimates = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<Long, RunEntry> runs = new LinkedHashMap<>();
  private final ArrayDeque<RunEntry> finishedRuns = new ArrayDeque<>();
  private final Map<Long, JobEntry> jobs = new HashMap<>();
  /** QUEUED and UNSCHEDULABLE jobs, the scheduler's input. */
  private final ReadyQueue ready = new ReadyQueue();

  public OrchestratorCore(CoreOptions options, Scheduler scheduler, LongSupplier clock, Effects effects, long epoch) {
    this.options = options;
    this.scheduler = scheduler;
    this.clock = clock;
    this.effects = effects;
    this.epoch = epoch;
    this.roster = new DroneRoster(options, this);
    this.jobTokens = new JobTokens(String.valueOf(options.joinTokenSha256()));
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
    for (JobEntry job : run.jobs) {
      if (job.state == JobState.QUEUED) {
        job.state = JobState.WAITING;
        makeReady(job, now);
      }
    }
    publish(run, null, "run.created", null);
  }

  /**
   * Takes over a run from the store after an orchestrator restart. Attempts that were on drones stay
   * theirs until the drone re-registers (and reports them) or its lease runs out.
   */
  public void resumeRun(StoredRun stored) {
    RunEntry run = track(stored);
    long now = now();
    for (JobEntry job : run.jobs) {
      if (job.state.isOnDrone()) {
        // The attempt's row already holds when it was assigned; this is only a non-zero marker.
        job.attemptAssignedAt = job.startedAt != null ? job.startedAt : job.queuedAt != null ? job.queuedAt : now;
        job.attemptStartedAt = job.startedAt;
        roster.expectAttempt(job.drone, job, now);
      } else if (job.isReady()) {
        job.readySince = job.queuedAt == null ? now : job.queuedAt;
        job.unschedulableSince = now;
        ready.add(job, now);
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
    for (JobEntry job : targets) {
      if (job.state.isTerminal() || job.cancelRequested) {
        continue;
      }
      if (job.state.isOnDrone()) {
        job.cancelRequested = true;
        effects.command(job.drone, new CancelAttempt(epoch, job.attemptRef(), reason));
        record(job, now, "job.cancel_requested", Map.of("drone", job.drone), null);
      } else {
        settle(job, JobState.CANCELLED, reason, now);
      }
    }
    return true;
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
      }
    }
    if (input.isEmpty()) {
      return;
    }
    SchedulingResult result = scheduler.schedule(new SchedulingInput(now, input, roster.slots(now),
        roster.runningCoresByProject()));
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
        record(job, now, "job.schedulable", Map.of(), null);
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
    record(job, now, "job.unschedulable", Map.of("reason", reason), null);
  }

  private void place(JobEntry job, DroneEntry drone, long now) {
    ready.remove(job);
    job.attempt++;
    job.token = (epoch << 32) | (++tokenCounter & 0xffff_ffffL);
    job.state = JobState.ASSIGNED;
    job.drone = drone.name;
    job.reason = null;
    job.cancelRequested = false;
    roster.attach(drone, job, now);
    job.attemptAssignedAt = now;
    job.attemptStartedAt = null;
    job.pendingAttempt = new AttemptStatus(job.id, job.attempt, job.token, drone.name, now, null, null, null, null);
    RunStatus runStatus = null;
    if (job.run.state == RunState.QUEUED) {
      job.run.state = RunState.RUNNING;
      runStatus = new RunStatus(RunState.RUNNING, null);
    }
    record(job, now, "job.assigned", Map.of("drone", drone.name, "attempt", job.attempt, "token", job.token), runStatus);
    JobExecution execution = new JobExecution(job.plan.steps(), job.plan.env(), job.plan.cores(), job.plan.timeoutMs(),
        job.run.source, job.plan.artifacts(), job.plan.secrets());
    effects.assign(drone.name, new AssignJob(epoch, job.attemptRef(), job.run.id, job.plan.name(), execution,
        jobTokens.mint(job.attemptRef())));
  }

  // ---- reports from drones --------------------------------------------------------------------

  /** The drone's answer to an assignment. */
  public void assignAcknowledged(String drone, AttemptRef attempt, AssignReply reply) {
    if (!reply.accepted()) {
      DroneEntry entry = roster.get(drone);
      if (AssignReply.STOPPING.equals(reply.reason()) && entry != null) {
        entry.unavailable = Heartbeat.LEAVING; // its goodbye may still be on the way
      }
      assignFailed(drone, attempt, "refused: " + reply.reason());
    }
  }

  /** The drone refused or never acknowledged: undo the placement and place the job elsewhere. */
  public void assignFailed(String droneName, AttemptRef attempt, String why) {
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
      if (!drone.isLeaving()) {
        roster.infrastructureFailure(drone, now);
      }
    }
    if (job.cancelRequested) {
      settle(job, JobState.CANCELLED, "cancelled before it started", now);
      return;
    }
    backToQueue(job, now, "job.assign_failed", "drone " + droneName + " did not take it (" + why + ")", false);
  }

  public ReportReply started(JobStarted report) {
    JobEntry job = jobs.get(report.attempt().jobId());
    if (job != null && job.reportedTokens.contains(report.attempt().token())) {
      return ReportReply.ok(); // overtaken by its own finish report
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
      record(job, now, "job.started", Map.of("drone", report.drone(), "attempt", job.attempt), null);
    }
    return ReportReply.ok();
  }

  public ReportReply finished(JobFinished report) {
    JobEntry job = jobs.get(report.attempt().jobId());
    if (job != null && job.reportedTokens.contains(report.attempt().token())) {
      return ReportReply.ok(); // a resend of a report already applied (its ack was lost)
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
      record(job, now, "job.started", Map.of("drone", report.drone(), "attempt", job.attempt), null);
    }
    closeAttempt(job, report.finishedAt() > 0 ? report.finishedAt() : now, report.outcome().name(), report.exitCode());
    roster.detach(roster.get(report.drone()), job);
    job.exitCode = report.exitCode();
    job.failedStep = report.failedStep();
    job.logTail = report.logTail();
    if (job.startedAt == null && report.startedAt() > 0) {
      job.startedAt = report.startedAt();
    }
    switch (report.outcome()) {
      case SUCCEEDED -> {
        learnDuration(job, report.finishedAt() - (job.startedAt == null ? report.startedAt() : job.startedAt));
        settle(job, JobState.SUCCEEDED, null, now);
      }
      case CANCELLED -> {
        if (job.cancelRequested) {
          settle(job, JobState.CANCELLED, job.reason == null ? "cancelled" : job.reason, now);
        } else {
          infrastructureRequeue(job, now, "drone " + report.drone() + " stopped it (" + report.message() + ")");
        }
      }
      case FAILED, TIMED_OUT -> jobFailed(job, report, now);
      case INFRA_ERROR -> {
        DroneEntry drone = roster.get(report.drone());
        if (drone != null && !drone.isLeaving()) {
          roster.infrastructureFailure(drone, now);
        }
        infrastructureRequeue(job, now, "drone " + report.drone() + " could not run it: " + report.message());
      }
    }
    return ReportReply.ok();
  }

  private void learnDuration(JobEntry job, long durationMs) {
    if (durationMs > 0) {
      estimates.merge(job.run.project + '\u0000' + job.plan.group(), durationMs, (old, latest) -> (old * 3 + latest) / 4);
    }
  }

  /**
   * How long a job of this project and pipeline job name usually takes, or 0 if never seen. Safe
   * to call from any thread (the planner runs on a worker).
   */
  public long estimateMs(String project, String group) {
    return estimates.getOrDefault(project + '\u0000' + group, 0L);
  }

  private void jobFailed(JobEntry job, JobFinished report, long now) {
    String what = report.outcome() == org.buildswarm.protocol.message.JobOutcome.TIMED_OUT
        ? "timed out after " + formatMillis(job.plan.timeoutMs())
        : report.failedStep() != null ? "step \"" + report.failedStep() + "\" exited with " + report.exitCode()
        : report.message() != null && !report.message().isBlank() ? report.message() : "failed";
    if (job.cancelRequested) {
      settle(job, JobState.CANCELLED, "cancelled", now);
      return;
    }
    job.failedOn.add(report.drone());
    job.avoid.add(report.drone());
    if (job.failedOn.size() >= 2) {
      settle(job, JobState.FAILED, what + "; it failed on two drones (" + String.join(", ", job.failedOn)
          + "), so it is a real failure, not a flaky drone", now);
    } else if (job.retriesUsed < job.plan.retries()) {
      job.retriesUsed++;
      long backoff = job.plan.retryBackoffMs() << Math.min(job.retriesUsed - 1, 16);
      job.notBefore = now + backoff;
      backToQueue(job, now, "job.retry_scheduled", what + "; retry " + job.retriesUsed + " of " + job.plan.retries()
          + " in " + formatMillis(backoff), true);
    } else {
      settle(job, JobState.FAILED, what, now);
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
    return job != null && job.state.isOnDrone() && job.token == attempt.token() && drone.equals(job.drone);
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
    effects.record(new StateChange(now(), runId, attempt.jobId(), "report.stale", data, null, null));
    return ReportReply.stale("attempt " + attempt.attempt() + " (token " + attempt.token() + ") is no longer current");
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
    job.infraRetriesUsed++;
    if (job.infraRetriesUsed > options.infraRetryCap()) {
      settle(job, JobState.FAILED, reason + "; gave up after " + options.infraRetryCap() + " drone failures", now);
      return;
    }
    backToQueue(job, now, "job.requeued", reason, false);
  }

  private void backToQueue(JobEntry job, long now, String type, String reason, boolean ownFailure) {
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

  private void makeReady(JobEntry job, long now) {
    job.state = JobState.QUEUED;
    job.queuedAt = now;
    job.readySince = now;
    ready.add(job, now);
    record(job, now, "job.queued", Map.of(), null);
  }

  /** Ends a job for good; wakes or skips its dependents; finishes the run when it was the last. */
  void settle(JobEntry job, JobState terminal, String reason, long now) {
    ready.remove(job);
    closeAttempt(job, now, terminal.name(), null);
    if (job.state.isOnDrone() && job.drone != null) {
      DroneEntry drone = roster.get(job.drone);
      if (drone != null) {
        roster.detach(drone, job);
      }
    }
    job.state = terminal;
    job.reason = reason;
    job.finishedAt = now;
    job.run.terminalJobs++;
    counters.jobsFinished.merge(terminal, 1L, Long::sum);
    record(job, now, "job." + terminal.name().toLowerCase(java.util.Locale.ROOT),
        reason == null ? Map.of() : Map.of("reason", reason), null);
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
      record(job, now, "job.skipped", Map.of("reason", why), null);
      job.dependents.forEach(dependent -> work.add(new Skip(dependent, job)));
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
    effects.record(new StateChange(now, run.id, null, "run." + run.state.name().toLowerCase(java.util.Locale.ROOT),
        Map.of(), null, status));
    publish(run, null, "run.finished", null);
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

  private void record(JobEntry job, long now, String type, Map<String, Object> data, RunStatus runStatus) {
    AttemptStatus attempt = job.pendingAttempt;
    job.pendingAttempt = null;
    effects.record(new StateChange(now, job.run.id, job.id, type, data, job.status(), runStatus, attempt, null));
    publish(job.run, job, type, job.reason);
  }

  private void publish(RunEntry run, JobEntry job, String type, String reason) {
    effects.publish(new RunEvent(type, run.id, job == null ? null : job.id, job == null ? null : job.plan.name(),
        job == null ? null : job.state, run.state, job == null ? null : job.drone, reason, now()));
  }

  void recordSwarmEvent(String type, Map<String, Object> data) {
    recordSwarmEvent(type, data, null);
  }

  void recordSwarmEvent(String type, Map<String, Object> data, DroneStatus drone) {
    effects.record(new StateChange(now(), SWARM_RUN_ID, null, type, data, null, null, null, drone));
  }

  void commandDrone(String drone, Object command) {
    effects.command(drone, command);
  }

  JobEntry job(long jobId) {
    return jobs.get(jobId);
  }

  // ---- queries -------------------------------------------------------------------------------

  public Optional<RunDetail> runDetail(long runId) {
    RunEntry run = runs.get(runId);
    return run == null ? Optional.empty() : Optional.of(CoreViews.detail(run));
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
    for (DroneEntry drone : roster.all()) {
      if (drone.presence == DroneEntry.Presence.ONLINE) {
        online++;
        total += drone.cores;
        busy += drone.busyCores();
      }
    }
    return new SwarmStatus(leader, epoch, now, activeRuns, byState, oldest, online, total, busy, counters.staleReports,
        counters.leasesExpired, counters.jobsFinished(), storeAvailable, eventsPending);
  }

  /** Jobs waiting for a drone, longest-waiting first, at most {@code limit} of them. */
  public QueueList queue(int limit) {
    List<JobEntry> waiting = new ArrayList<>(ready.all());
    waiting.sort(java.util.Comparator.comparingLong((JobEntry job) -> job.readySince).thenComparingLong(job -> job.id));
    List<QueuedJob> shown = new ArrayList<>(Math.min(limit, waiting.size()));
    for (JobEntry job : waiting.subList(0, Math.min(Math.max(0, limit), waiting.size()))) {
      shown.add(new QueuedJob(CoreViews.job(job), job.run.project, job.run.trigger.priority(), job.readySince,
          job.notBefore > now() ? job.notBefore : 0));
    }
    return new QueueList(shown, waiting.size(), ready.unschedulable().size());
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
