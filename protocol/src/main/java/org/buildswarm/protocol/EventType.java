package org.buildswarm.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Every kind of event the orchestrator records in the event log or publishes live, by the name it
 * has on the wire and in the log ({@code job.started}). The log is read back as text
 * ({@link org.buildswarm.protocol.api.EventRecord#type()}), since it keeps events of earlier releases
 * whose kinds may be gone from this list.
 */
public enum EventType {
  RUN_CREATED("run.created"),
  /** A job set added jobs to the run. */
  RUN_EXTENDED("run.extended"),
  /** A person sent some of the run's jobs back to waiting. */
  RUN_RETRIED("run.retried"),
  RUN_SUCCEEDED("run.succeeded"),
  RUN_FAILED("run.failed"),
  RUN_CANCELLED("run.cancelled"),
  /** Published live when a run ends, whichever way (the log has the run's own end). */
  RUN_FINISHED("run.finished"),

  JOB_QUEUED("job.queued"),
  JOB_SCHEDULABLE("job.schedulable"),
  JOB_UNSCHEDULABLE("job.unschedulable"),
  JOB_ASSIGNED("job.assigned"),
  JOB_ASSIGN_FAILED("job.assign_failed"),
  JOB_STARTED("job.started"),
  JOB_READOPTED("job.readopted"),
  JOB_REQUEUED("job.requeued"),
  JOB_RETRY_SCHEDULED("job.retry_scheduled"),
  JOB_RETRIED("job.retried"),
  JOB_CANCEL_REQUESTED("job.cancel_requested"),
  JOB_NOT_CANCELLED("job.not_cancelled"),
  JOB_SUCCEEDED("job.succeeded"),
  JOB_FAILED("job.failed"),
  JOB_SKIPPED("job.skipped"),
  JOB_CANCELLED("job.cancelled"),
  /** A report for an attempt that is no longer the job's current one, refused. */
  REPORT_STALE("report.stale"),

  DRONE_REFUSED("drone.refused"),
  DRONE_REGISTERED("drone.registered"),
  DRONE_AVAILABLE("drone.available"),
  DRONE_UNAVAILABLE("drone.unavailable"),
  DRONE_MODE("drone.mode"),
  DRONE_LOST("drone.lost"),
  DRONE_GROUNDED("drone.grounded"),

  DEPLOY_HELD("deploy.held"),
  DEPLOY_STARTED("deploy.started"),
  DEPLOY_STEP_DONE("deploy.step_done"),
  DEPLOY_STEP_FAILED("deploy.step_failed"),
  DEPLOY_SUCCEEDED("deploy.succeeded"),
  DEPLOY_ROLLBACK_STARTED("deploy.rollback_started"),
  DEPLOY_ROLLED_BACK("deploy.rolled_back"),
  DEPLOY_ROLLBACK_FAILED("deploy.rollback_failed"),
  /** An environment's pointer moved without a deploy (an operator activated a version). */
  ENVIRONMENT_ACTIVATED("environment.activated");

  private final String wire;

  private static final Map<String, EventType> BY_WIRE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::wire, type -> type));

  EventType(String wire) {
    this.wire = wire;
  }

  /** Its name on the wire and in the event log. */
  @JsonValue
  public String wire() {
    return wire;
  }

  /**
   * For messages read as JSON: a kind this release does not know (written by a newer orchestrator
   * during a rolling upgrade) reads as null instead of failing the whole message.
   */
  @JsonCreator
  public static EventType readOrNull(String wire) {
    return BY_WIRE.get(wire);
  }

  /** The kind with this name; fails for a name no kind has. */
  public static EventType fromWire(String wire) {
    EventType type = BY_WIRE.get(wire);
    if (type == null) {
      throw new IllegalArgumentException("unknown event type " + wire);
    }
    return type;
  }

  /** The event of a job ending in a terminal state. */
  public static EventType jobEnded(JobState state) {
    return switch (state) {
      case SUCCEEDED -> JOB_SUCCEEDED;
      case FAILED -> JOB_FAILED;
      case SKIPPED -> JOB_SKIPPED;
      case CANCELLED -> JOB_CANCELLED;
      default -> throw new IllegalArgumentException(state + " is not an end");
    };
  }

  /** The event of a run ending in a terminal state. */
  public static EventType runEnded(RunState state) {
    return switch (state) {
      case SUCCEEDED -> RUN_SUCCEEDED;
      case FAILED -> RUN_FAILED;
      case CANCELLED -> RUN_CANCELLED;
      default -> throw new IllegalArgumentException(state + " is not an end");
    };
  }

  /** One of a deploy's events. */
  public boolean isDeploy() {
    return wire.startsWith("deploy.");
  }

  @Override
  public String toString() {
    return wire;
  }
}
