package org.buildswarm.orchestrator.simulate;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What {@code swarm simulate} reads: virtual drones and jobs with known durations.
 *
 * <pre>{"drones":[{"name":"a","cores":16,"labels":["x"]}],
 *  "jobs":[{"id":"j","cores":4,"duration_ms":9000,"needs":["i"],"labels":[]}]}</pre>
 */
public record Workload(List<Drone> drones, List<Job> jobs) {
  public Workload {
    drones = drones == null ? List.of() : List.copyOf(drones);
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }

  public record Drone(String name, int cores, List<String> labels) {
    public Drone {
      labels = labels == null ? List.of() : List.copyOf(labels);
    }
  }

  public record Job(String id, int cores, @JsonProperty("duration_ms") long durationMs, List<String> needs, List<String> labels) {
    public Job {
      cores = cores <= 0 ? 1 : cores;
      needs = needs == null ? List.of() : List.copyOf(needs);
      labels = labels == null ? List.of() : List.copyOf(labels);
    }
  }
}
