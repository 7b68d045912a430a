package org.buildswarm.protocol.api;

import java.util.List;

/** The queue, longest-waiting first; {@code total} counts them all, {@code jobs} may be cut at the limit. */
public record QueueList(List<QueuedJob> jobs, int total, int unschedulable) {
  public QueueList {
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }
}
