package org.buildswarm.orchestrator.store;

import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.EventType;

/**
 * One entry for the append-only event log, with the job's and run's status after it, so the
 * event and the rows it changes are written in one transaction.
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

  public StateChange(long at, long runId, Long jobId, EventType type, Map<String, Object> data, JobStatus jobStatus,
      RunStatus runStatus, AttemptStatus attempt, DroneStatus drone, DeploymentStatus deployment,
      List<StoredJob> addedJobs, List<StoredJob> replannedJobs) {
    this(at, runId, jobId, type, data, jobStatus, runStatus, attempt, drone, deployment, addedJobs, replannedJobs, null);
  }

  public StateChange(long at, long runId, Long jobId, EventType type, Map<String, Object> data, JobStatus jobStatus,
      RunStatus runStatus, AttemptStatus attempt, DroneStatus drone) {
    this(at, runId, jobId, type, data, jobStatus, runStatus, attempt, drone, null, null, null);
  }

  public StateChange(long at, long runId, Long jobId, EventType type, Map<String, Object> data, JobStatus jobStatus,
      RunStatus runStatus) {
    this(at, runId, jobId, type, data, jobStatus, runStatus, null, null);
  }
}
