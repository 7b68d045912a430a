package org.buildswarm.protocol.message;

/** How an attempt ended, as the drone saw it. */
public enum JobOutcome {
  SUCCEEDED,
  /** A step exited non-zero: the job's own failure. */
  FAILED,
  /** The job ran past its timeout and was killed. */
  TIMED_OUT,
  /** Stopped on request. */
  CANCELLED,
  /** The drone could not run it (workspace, checkout, spawn): not the job's fault. */
  INFRA_ERROR
}
