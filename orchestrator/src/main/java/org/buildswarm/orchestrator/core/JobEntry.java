package org.buildswarm.orchestrator.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.message.AttemptRef;

/** A job the core is tracking (mutable; owned by the core's single thread). */
final class JobEntry {
  final long id;
  final RunEntry run;
  PlannedJob plan;
  final List<JobEntry> dependents = new ArrayList<>();
  int unmetNeeds;

  JobState state;
  int attempt;
  /**
   * Attempt numbers up to this may have been given out before a restart without being stored; the
   * next attempt is numbered above it, so no two attempts of a job share a number.
   */
  int attemptFloor;
  long token;
  String drone;
  int retriesUsed;
  int infraRetriesUsed;
  Integer exitCode;
  String failedStep;
  List<String> logTail = List.of();
  String reason;
  Long queuedAt;
  Long startedAt;
  Long finishedAt;
  /** The test summary of the current (or last) attempt; null when it has none. */
  org.buildswarm.protocol.api.TestSummary tests;
  /** What the cache did for its last finished attempt; null when it has no cache or has not finished. */
  org.buildswarm.protocol.message.JobCacheResult cache;

  /** Not before this time may it be placed (retry backoff). */
  long notBefore;
  /** When it became ready, for ordering among equals. */
  long readySince;
  /** When it entered UNSCHEDULABLE, for the grace period. */
  long unschedulableSince;
  /** Drones where an attempt failed by the job's own fault. */
  final Set<String> failedOn = new LinkedHashSet<>();
  /** Drones not to use for this job (failed there, or refused it). */
  final Set<String> avoid = new HashSet<>();
  boolean cancelRequested;
  /** A rollback job the saga asked for (rollback jobs wait until then, whatever their needs). */
  boolean rollbackActivated;
  /** Held back from the ready queue (a deploy waiting for its environment, a run for its group). */
  boolean parked;
  /** Which gate holds it back while parked. */
  org.buildswarm.protocol.api.WaitReason.Code parkedBy;
  /** Why the last scheduling round that looked at it did not place it although a drone had room; null if none. */
  org.buildswarm.orchestrator.schedule.Deferred deferral;
  /** The drone said the current attempt's steps are over: it publishes what they made and holds no cores. */
  boolean stepsEnded;
  /** When the current attempt was assigned; 0 when no attempt is open. */
  long attemptAssignedAt;
  Long attemptStartedAt;
  /** How the scheduler sees it while it waits (built when it is enqueued). */
  org.buildswarm.orchestrator.schedule.ReadyJob candidate;
  /** Test results to store with the next recorded change of this job (its final report's). */
  org.buildswarm.orchestrator.store.AttemptTests pendingTests;
  /** An attempt change to store with the next recorded change of this job. */
  org.buildswarm.orchestrator.store.AttemptStatus pendingAttempt;
  /** Tokens of attempts whose final report was applied, so a resent one is acknowledged, not counted stale. */
  final Set<Long> reportedTokens = new HashSet<>(2);

  JobEntry(long id, RunEntry run, PlannedJob plan, JobState state) {
    this.id = id;
    this.run = run;
    this.plan = plan;
    this.state = state;
  }

  AttemptRef attemptRef() {
    return new AttemptRef(id, attempt, token);
  }

  /** The cores its current attempt holds on its drone. */
  int heldCores() {
    return stepsEnded ? 0 : plan.cores();
  }

  boolean isReady() {
    return state == JobState.QUEUED || state == JobState.UNSCHEDULABLE;
  }

  JobStatus status() {
    return new JobStatus(state, attempt, token, drone, retriesUsed, infraRetriesUsed, exitCode, failedStep, logTail,
        reason, queuedAt, startedAt, finishedAt, tests, cache);
  }

  void restore(JobStatus status) {
    state = status.state();
    attempt = status.attempt();
    token = status.token();
    drone = status.drone();
    retriesUsed = status.retriesUsed();
    infraRetriesUsed = status.infraRetriesUsed();
    exitCode = status.exitCode();
    failedStep = status.failedStep();
    logTail = status.logTail();
    reason = status.reason();
    queuedAt = status.queuedAt();
    startedAt = status.startedAt();
    finishedAt = status.finishedAt();
    tests = status.tests();
    cache = status.cache();
  }

  /**
   * Back to waiting, for a person's retry: the next attempt is numbered after the last, and the job
   * starts over as if it had not run (its automatic retries, the drones it failed on).
   */
  void resetForRetry(String why) {
    state = JobState.WAITING;
    reason = why;
    drone = null;
    retriesUsed = 0;
    infraRetriesUsed = 0;
    exitCode = null;
    failedStep = null;
    logTail = List.of();
    queuedAt = null;
    startedAt = null;
    finishedAt = null;
    cache = null;
    notBefore = 0;
    failedOn.clear();
    avoid.clear();
    cancelRequested = false;
    rollbackActivated = false;
    parked = false;
    parkedBy = null;
    deferral = null;
    attemptAssignedAt = 0;
    attemptStartedAt = null;
  }

  static Set<String> copy(Set<String> set) {
    return new HashSet<>(set);
  }
}
