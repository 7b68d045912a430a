package org.buildswarm.protocol;

/**
 * Event-bus addresses: the only way the orchestrator, drones and gateways reach each other.
 *
 * <p>Point-to-point addresses ({@code send}/{@code request}) are consumed by exactly one logical
 * owner; {@code publish} addresses fan out to every interested node.
 */
public final class Addresses {
  private Addresses() {}

  private static final String PREFIX = "buildswarm.";

  /** Drone → orchestrator: {@link org.buildswarm.protocol.message.RegisterDrone}. */
  public static final String DRONE_REGISTER = PREFIX + "drone.register";
  /** Drone → orchestrator: {@link org.buildswarm.protocol.message.Heartbeat}. */
  public static final String DRONE_HEARTBEAT = PREFIX + "drone.heartbeat";
  /** Drone → orchestrator: {@link org.buildswarm.protocol.message.JobStarted}. */
  public static final String JOB_STARTED = PREFIX + "job.started";
  /** Drone → orchestrator: {@link org.buildswarm.protocol.message.JobStepsEnded}. */
  public static final String JOB_STEPS_ENDED = PREFIX + "job.steps-ended";
  /** Drone → orchestrator: {@link org.buildswarm.protocol.message.JobFinished}. */
  public static final String JOB_FINISHED = PREFIX + "job.finished";
  /** Drone → gateway: {@link org.buildswarm.protocol.message.LogChunk}. */
  public static final String LOG_APPEND = PREFIX + "log.append";

  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.SubmitRun}. */
  public static final String RUN_SUBMIT = PREFIX + "api.run.submit";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.RunQuery}. */
  public static final String RUN_LIST = PREFIX + "api.run.list";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.GetRun}. */
  public static final String RUN_GET = PREFIX + "api.run.get";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.GetRunEvents}. */
  public static final String RUN_EVENTS_GET = PREFIX + "api.run.events";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.GetJobTests}. */
  public static final String JOB_TESTS_GET = PREFIX + "api.job.tests";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.CancelRequest}. */
  public static final String CANCEL = PREFIX + "api.cancel";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.ListDrones}. */
  public static final String DRONE_LIST = PREFIX + "api.drone.list";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.SetDroneMode}. */
  public static final String DRONE_MODE = PREFIX + "api.drone.mode";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.GetMetrics}. */
  public static final String METRICS = PREFIX + "api.metrics";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.GetStatus}. */
  public static final String STATUS = PREFIX + "api.status";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.GetQueue}. */
  public static final String QUEUE_LIST = PREFIX + "api.queue";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.RerunRequest}. */
  public static final String RUN_RERUN = PREFIX + "api.run.rerun";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.RetryRequest}; answered with a {@link org.buildswarm.protocol.api.RunSummary}. */
  public static final String RUN_RETRY = PREFIX + "api.run.retry";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.ListEnvironments}. */
  public static final String ENVIRONMENT_LIST = PREFIX + "api.environments";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.RollbackEnvironment}. */
  public static final String ENVIRONMENT_ROLLBACK = PREFIX + "api.environment.rollback";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.DecideJob}. */
  public static final String JOB_DECIDE = PREFIX + "api.job.decide";
  /** Gateway → the leader's work discovery: {@link org.buildswarm.protocol.api.WebhookDelivery}. */
  public static final String WEBHOOK = PREFIX + "api.webhook";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.VerifyToken}. */
  public static final String TOKEN_VERIFY = PREFIX + "api.token.verify";

  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.VerifyJobToken}. */
  public static final String JOB_TOKEN_VERIFY = PREFIX + "api.jobtoken.verify";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.ListProjects}. */
  public static final String PROJECT_LIST = PREFIX + "api.project.list";
  /** Drone → any gateway: {@link org.buildswarm.protocol.api.FindGateway}. */
  public static final String GATEWAY_FIND = PREFIX + "gateway.find";
  /** Gateway → everyone (publish): {@link org.buildswarm.protocol.api.ArtifactPublished}. */
  public static final String ARTIFACT_EVENTS = PREFIX + "events.artifact";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.ListTokens}. */
  public static final String TOKEN_LIST = PREFIX + "api.token.list";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.CreateToken}. */
  public static final String TOKEN_CREATE = PREFIX + "api.token.create";
  /** Gateway → orchestrator: {@link org.buildswarm.protocol.api.DeleteToken}. */
  public static final String TOKEN_DELETE = PREFIX + "api.token.delete";
  /** Orchestrator → gateways (publish): {@link org.buildswarm.protocol.api.TokensChanged}. */
  public static final String TOKENS_CHANGED = PREFIX + "events.tokens";

  /** Orchestrator → everyone (publish): {@link org.buildswarm.protocol.api.RunEvent}. */
  public static final String RUN_EVENTS = PREFIX + "events.run";

  /** The address a drone consumes its commands on (assign, cancel, change mode). */
  public static String drone(String droneName) {
    return PREFIX + "drone." + droneName + ".commands";
  }
}
