package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/** Run and job helpers shared by the cluster system tests. */
final class ClusterSystemTestSupport {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private ClusterSystemTestSupport() {}

  /**
   * Submits a pipeline whose source is an empty directory of its own. (Not the cluster's directory:
   * the drones' and gateway's state live there and change while a job copies it.)
   */
  static long submit(Cluster cluster, String project, String yaml) throws Exception {
    Path source = java.nio.file.Files.createDirectories(cluster.directory.resolve("sources").resolve(project));
    return submit(cluster, source, project, yaml);
  }

  static long submit(Cluster cluster, Path source, String project, String yaml) throws Exception {
    Api.Response created = cluster.api.post("/api/v1/runs", Api.submission(project, yaml, source.toString()));
    assertThat(created.status()).as("%s", created.text()).isEqualTo(201);
    return created.json().path("id").asLong();
  }

  static Map<String, JsonNode> jobs(JsonNode detail) {
    Map<String, JsonNode> jobs = new HashMap<>();
    detail.path("jobs").forEach(job -> jobs.put(job.path("name").asText(), job));
    return jobs;
  }

  static JsonNode awaitJob(Cluster cluster, long run, String name, Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode job = null;
    while (System.nanoTime() < deadline) {
      job = jobs(cluster.api.get("/api/v1/runs/" + run).json()).get(name);
      if (job != null && condition.test(job)) {
        return job;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + name + " of run " + run + " never got there: " + job);
  }
}
