package org.buildswarm.protocol.pipeline;

import java.util.List;

/** A valid pipeline: its jobs in file order, every {@code needs} known and acyclic. */
public record Pipeline(String file, String name, List<JobDefinition> jobs) {
  public Pipeline {
    jobs = List.copyOf(jobs);
  }
}
