package org.buildswarm.protocol.pipeline;

import java.util.List;

/**
 * A valid pipeline: its jobs in file order, every {@code needs} known and acyclic.
 *
 * @param on what starts it ({@link Triggers#DEFAULT} when the file has no {@code on:})
 * @param environments where its deploy jobs deploy, by branch ({@link Environment#DEFAULTS} when not set)
 * @param concurrency null when its runs may run side by side
 */
public record Pipeline(String file, String name, List<JobDefinition> jobs, Triggers on,
    List<Environment> environments, Concurrency concurrency) {
  public Pipeline {
    jobs = List.copyOf(jobs);
    on = on == null ? Triggers.DEFAULT : on;
    environments = environments == null ? Environment.DEFAULTS : List.copyOf(environments);
  }

  public Pipeline(String file, String name, List<JobDefinition> jobs, Triggers on) {
    this(file, name, jobs, on, null, null);
  }
}
