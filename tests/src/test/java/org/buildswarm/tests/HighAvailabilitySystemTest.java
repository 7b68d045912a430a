package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.deploy.cluster.ClusteredVertx;
import org.buildswarm.orchestrator.testing.PostgresServer;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two orchestrators on one PostgreSQL: one leads (it holds the advisory lock and began an epoch),
 * the other stands by. kill -9 the leader in the middle of a run: the standby leads within 15 s,
 * the drones follow it, the run completes with every success recorded once, and a command
 * stamped with the old epoch is refused by the drones.
 */
class HighAvailabilitySystemTest {
  /** Without a sandbox: the a job that ran would leave its witness file where the test looks (the sandbox is JobEscapeSystemTest's). */
  private static final String[] UNSANDBOXED = {"--sandbox", "none"};
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path work;

  private PostgresServer postgres;
  private Cluster cluster;

  @AfterEach
  void tearDown() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  @Test
  void standbyTakesOverWhenTheLeaderIsKilledAndTheOldEpochIsIgnored() throws Exception {
    postgres = PostgresServer.start();
    String store = "postgresql://" + PostgresServer.USER + "@127.0.0.1:" + postgres.port() + "/" + PostgresServer.USER;
    cluster = new Cluster(work, "127.0.0.1", 2);
    cluster.startCore("--store", store, "--lease", "5", "--heartbeat", "1");
    cluster.startDrone("d1", 2, null, "127.0.0.1", UNSANDBOXED);
    cluster.startDrone("d2", 2, null, "127.0.0.1", UNSANDBOXED);
    JsonNode before = cluster.api.get("/api/v1/status").json();
    String oldLeader = before.path("leader").asText();
    long oldEpoch = before.path("epoch").asLong();

    StringBuilder chain = new StringBuilder("jobs:\n");
    for (int i = 0; i < 8; i++) {
      chain.append("  step").append(i).append(": {").append(i > 0 ? "needs: step" + (i - 1) + ", " : "")
          .append("steps: [\"sleep 1\"]}\n");
    }
    long run = ClusterSystemTestSupport.submit(cluster, "ha", chain.toString());
    ClusterSystemTestSupport.awaitJob(cluster, run, "step2", job -> job.path("state").asText().equals("RUNNING"));

    int leaderIndex = cluster.orchestratorIndex(oldLeader);
    long killedAt = System.nanoTime();
    cluster.orchestrators.get(leaderIndex).kill();

    JsonNode after = null;
    while (System.nanoTime() - killedAt < TIMEOUT.toNanos()) {
      Api.Response status = cluster.api.get("/api/v1/status");
      if (status.status() == 200 && !status.json().path("leader").asText().equals(oldLeader)) {
        after = status.json();
        break;
      }
      Thread.sleep(200);
    }
    assertThat(after).as("the standby leads").isNotNull();
    double tookSeconds = (System.nanoTime() - killedAt) / 1e9;
    assertThat(tookSeconds).as("takeover time").isLessThan(15);
    long newEpoch = after.path("epoch").asLong();
    assertThat(newEpoch).isGreaterThan(oldEpoch);
    cluster.awaitDroneState("d1", "online", TIMEOUT, null);
    cluster.awaitDroneState("d2", "online", TIMEOUT, null);

    JsonNode done = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(done.path("run").path("state").asText()).as("%s", done).isEqualTo("SUCCEEDED");
    Map<Long, Integer> successes = new HashMap<>();
    for (JsonNode event : cluster.api.get("/api/v1/runs/" + run + "/events?limit=10000").json().path("events")) {
      if (event.path("type").asText().equals("job.succeeded")) {
        successes.merge(event.path("jobId").asLong(), 1, Integer::sum);
      }
    }
    assertThat(successes).as("every job succeeded exactly once").hasSize(8).allSatisfy((job, count) ->
        assertThat(count).isEqualTo(1));

    // A command from the old leader's epoch — as a leader that had not noticed it was replaced
    // would send it — is refused by the drone.
    // It holds the control plane's credentials, as the old leader did.
    Vertx node = ClusteredVertx.start(new ClusterSettings(cluster.name, List.of(cluster.members().split(",")),
        "127.0.0.1", 0, 0, true, null, cluster.control)).toCompletionStage()
        .toCompletableFuture().get(120, TimeUnit.SECONDS);
    try {
      AssignJob stale = new AssignJob("d1", oldEpoch, new AttemptRef(999_999, 1, (oldEpoch << 32) | 999), run, "ghost",
          new JobExecution(List.of(new Step("ghost", "touch " + work.resolve("ghost"))), Map.of(), 1, 60_000,
              SourceSpec.none(), List.of(), List.of()), "forged-job-token");
      AssignReply reply = node.eventBus().<AssignReply>request(Addresses.drone("d1"), stale,
          new DeliveryOptions().setSendTimeout(30_000)).toCompletionStage().toCompletableFuture().get().body();
      assertThat(reply.accepted()).isFalse();
      assertThat(reply.reason()).isEqualTo("epoch " + oldEpoch + " is older than " + newEpoch);
      assertThat(work.resolve("ghost")).doesNotExist();
    } finally {
      node.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    long later = ClusterSystemTestSupport.submit(cluster, "after", "jobs:\n  again: {steps: [\"true\"]}\n");
    assertThat(cluster.api.awaitRun(later, TIMEOUT).path("run").path("state").asText()).isEqualTo("SUCCEEDED");
  }
}
