package org.buildswarm.protocol.message;

/**
 * Orchestrator → drone: run this attempt. The drone answers with {@link AssignReply}.
 *
 * @param jobToken the attempt's credential toward gateways (artifact uploads); valid only while the
 *     attempt is current
 * @param gitCredentials what reading its source needs, for a private repository; null: nothing
 */
public record AssignJob(String drone, long epoch, AttemptRef attempt, long runId, String jobName,
    JobExecution execution, String jobToken, GitCredentials gitCredentials) implements DroneCommand {
  public AssignJob(String drone, long epoch, AttemptRef attempt, long runId, String jobName, JobExecution execution,
      String jobToken) {
    this(drone, epoch, attempt, runId, jobName, execution, jobToken, null);
  }

  /** The same assignment with what the drone needs to read a private repository. */
  public AssignJob withGitCredentials(GitCredentials credentials) {
    return new AssignJob(drone, epoch, attempt, runId, jobName, execution, jobToken, credentials);
  }
}
