package org.buildswarm.orchestrator.store;

import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.EventType;

/**
 * One entry for the append-only event log, with the job's and run's status after it, so the
 * event and the rows it changes are written in one transaction. Made with {@link #of} and the
 * {@code with…} methods, which name what it changes; every part it does not change is null.
 *
 * @param jobStatus null when the change is about the run only
 * @param runStatus null when the run's status did not change
 * @param attempt the attempt this change opened, updated or closed; null if none
 * @param drone a drone whose record changed; null if none
 * @param deployment an environment's deploy history change; null if none
 * @param addedJobs jobs added to the run (a job set), stored with this change
 * @param replannedJobs jobs of the run whose plan changed (they now also need the added jobs)
 * @param tests an attempt's test results, stored with this change (its final report); null if none
 */
public record StateChange(
    long at, long runId, Long jobId, EventType type, Map<String, Object> data, JobStatus jobStatus, RunStatus runStatus,
    AttemptStatus attempt, DroneStatus drone, DeploymentStatus deployment, List<StoredJob> addedJobs,
    List<StoredJob> replannedJobs, AttemptTests tests) {
  public StateChange {
    data = data == null ? Map.of() : Map.copyOf(data);
    addedJobs = addedJobs == null ? List.of() : List.copyOf(addedJobs);
    replannedJobs = replannedJobs == null ? List.of() : List.copyOf(replannedJobs);
  }

  /**
   * An event that changes no row yet; the {@code with…} methods name what else it changes, each
   * written in the same transaction as the event.
   */
  public static StateChange of(long at, long runId, Long jobId, EventType type, Map<String, Object> data) {
    return new StateChange(at, runId, jobId, type, data, null, null, null, null, null, null, null, null);
  }

  /** The job's status after this change. */
  public StateChange withJob(JobStatus status) {
    return new StateChange(at, runId, jobId, type, data, status, runStatus, attempt, drone, deployment, addedJobs,
        replannedJobs, tests);
  }

  /** The run's status after this change. */
  public StateChange withRun(RunStatus status) {
    return new StateChange(at, runId, jobId, type, data, jobStatus, status, attempt, drone, deployment, addedJobs,
        replannedJobs, tests);
  }

  /** The attempt this change opened, updated or closed. */
  public StateChange withAttempt(AttemptStatus status) {
    return new StateChange(at, runId, jobId, type, data, jobStatus, runStatus, status, drone, deployment, addedJobs,
        replannedJobs, tests);
  }

  /** A drone whose record changed. */
  public StateChange withDrone(DroneStatus status) {
    return new StateChange(at, runId, jobId, type, data, jobStatus, runStatus, attempt, status, deployment, addedJobs,
        replannedJobs, tests);
  }

  /** An environment's deploy history change. */
  public StateChange withDeployment(DeploymentStatus status) {
    return new StateChange(at, runId, jobId, type, data, jobStatus, runStatus, attempt, drone, status, addedJobs,
        replannedJobs, tests);
  }

  /** Jobs a job set added to the run, and the run's jobs whose plan now needs them. */
  public StateChange withJobsAdded(List<StoredJob> added, List<StoredJob> replanned) {
    return new StateChange(at, runId, jobId, type, data, jobStatus, runStatus, attempt, drone, deployment, added,
        replanned, tests);
  }

  /** An attempt's test results, stored with its final report. */
  public StateChange withTests(AttemptTests results) {
    return new StateChange(at, runId, jobId, type, data, jobStatus, runStatus, attempt, drone, deployment, addedJobs,
        replannedJobs, results);
  }
}
