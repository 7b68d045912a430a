package org.buildswarm.protocol.pipeline;

import java.util.List;

/**
 * A valid pipeline: its jobs in file order, every {@code needs} known and acyclic.
 *
 * @param on what starts it ({@link Triggers#DEFAULT} when the file has no {@code on:})
 */
public record Pipeline(String file, String name, List<JobDefinition> jobs, Triggers on) {
  public Pipeline {
    jobs = List.copyOf(jobs);
    on = on == null ? Triggers.DEFAULT : on;
  }
}
