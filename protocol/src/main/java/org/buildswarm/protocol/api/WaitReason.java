package org.buildswarm.protocol.api;

import java.util.Locale;

/**
 * Why a job that could run is not running yet: a machine code and a sentence for people, e.g.
 * {@code NO_ROOM} "needs 4 cores on [linux]; 2/2 busy on 1 drone".
 */
public record WaitReason(Code code, String message) {
  /** The bounded set of reasons (also the values of a metric label). */
  public enum Code {
    /** Some of its needs have not finished. */
    NEEDS,
    /** Drones that could run it are busy; the message names the closest one. */
    NO_ROOM,
    /** Every drone that could run it takes no new work because of its host (the message says why, per drone). */
    DRONES_REFUSING,
    /** Every drone that could run it is paused or draining. */
    DRONES_PAUSED,
    /** Every drone that could run it is grounded after repeated infrastructure failures (until when). */
    DRONES_GROUNDED,
    /** The drones that could run it are not connected (lost, or reconnecting after a restart). */
    DRONES_OFFLINE,
    /** Another project's jobs took the free cores first: its turn under fair share. */
    FAIR_SHARE,
    /** The free cores are held for a wider job that has waited for them. */
    RESERVED,
    /** Another run deploys to its environment; it queues behind. */
    DEPLOY_GATE,
    /** An older run of its concurrency group has not finished. */
    CONCURRENCY_GATE,
    /** It failed and waits out its retry backoff. */
    RETRY_BACKOFF,
    /** No registered drone could ever run it. */
    UNSCHEDULABLE,
    /** A lost deploy step waiting for its drone's report or an operator's decision. */
    HELD,
    /** Given to a drone, which has not started it yet. */
    STARTING,
    /** A drone has room for it: it is placed in the next scheduling round. */
    PLACING;

    /** The metric label: {@code no_room}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
