package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A drone on a host of its own (a network namespace with a tailscale0 link) loses the network in
 * the middle of a job. The orchestrator gives the job to another drone when the lease runs out;
 * when the network comes back the cut-off drone's late report is rejected as stale, and the job's
 * success is recorded once.
 */
class PartitionSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path work;

  private NetworkNamespace island;
  private Cluster cluster;

  @AfterEach
  void tearDown() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (island != null) {
      island.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  @Test
  void lateReportAfterAPartitionIsRejectedAndNothingIsRecordedTwice() throws Exception {
    assumeTrue(NetworkNamespace.available(), "needs root and ip netns");
    island = NetworkNamespace.create();
    cluster = new Cluster(work, island.hostAddress);
    cluster.startCore("--lease", "4", "--heartbeat", "1");
    cluster.startDrone("steady", 2, null, island.hostAddress);
    cluster.startDrone("island", 2, island.name, "auto");
    assertThat(cluster.api.post("/api/v1/drones/steady/pause", Map.of()).status()).isEqualTo(200);

    long run = ClusterSystemTestSupport.submit(cluster, "partition", """
        jobs:
          build:
            labels: [linux]
            steps:
              - run: sleep 6; echo built
        """);
    JsonNode first = ClusterSystemTestSupport.awaitJob(cluster, run, "build",
        job -> job.path("state").asText().equals("RUNNING"));
    assertThat(first.path("drone").asText()).isEqualTo("island");
    assertThat(cluster.api.post("/api/v1/drones/steady/resume", Map.of()).status()).isEqualTo(200);

    island.cut();
    JsonNode moved = ClusterSystemTestSupport.awaitJob(cluster, run, "build",
        job -> job.path("attempt").asInt() == 2 && job.path("drone").asText().equals("steady"));
    assertThat(moved.path("attempt").asInt()).isEqualTo(2);
    JsonNode done = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(done.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    Thread.sleep(3_000); // the island's own attempt has ended by now; its report waits for the network

    island.heal();
    JsonNode stale = null;
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (stale == null && System.nanoTime() < deadline) {
      for (JsonNode event : cluster.api.get("/api/v1/runs/" + run + "/events").json().path("events")) {
        if (event.path("type").asText().equals("report.stale")) {
          stale = event;
        }
      }
      Thread.sleep(250);
    }
    assertThat(stale).as("the island's late report arrives and is rejected as stale").isNotNull();
    assertThat(stale.path("data").path("drone").asText()).isEqualTo("island");
    assertThat(stale.path("data").path("currentToken").asLong()).isNotEqualTo(stale.path("data").path("token").asLong());

    int successes = 0;
    for (JsonNode event : cluster.api.get("/api/v1/runs/" + run + "/events").json().path("events")) {
      successes += event.path("type").asText().equals("job.succeeded") ? 1 : 0;
    }
    assertThat(successes).as("the job's success is recorded once").isEqualTo(1);
    assertThat(cluster.api.get("/api/v1/status").json().path("staleReports").asLong()).isPositive();
    JsonNode finalJob = ClusterSystemTestSupport.jobs(cluster.api.get("/api/v1/runs/" + run).json()).get("build");
    assertThat(finalJob.path("drone").asText()).isEqualTo("steady");
    cluster.awaitDroneState("island", "online", TIMEOUT, null);
  }
}
