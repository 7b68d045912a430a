package org.buildswarm.protocol.api;

import java.util.List;

/**
 * What a valid job token may do: publish the artifacts its job declares, into its run's project.
 * An invalid or stale token is answered with a 401 failure instead.
 */
public record JobTokenInfo(String project, long runId, long jobId, int attempt, String jobName, List<String> artifacts) {
  public JobTokenInfo {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
  }
}
