package org.buildswarm.protocol.message;

/**
 * Drone → orchestrator: the attempt's steps are over and their processes gone, so its cores are
 * free for other work while the drone still publishes what it made (artifacts, its cached result,
 * test reports, a job set). Sent only for attempts with such work; the job is not finished until
 * its {@link JobFinished} report, and its dependents wait for that.
 */
public record JobStepsEnded(String drone, AttemptRef attempt) implements FromDrone {}
