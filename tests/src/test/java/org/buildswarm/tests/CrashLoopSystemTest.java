package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.buildswarm.orchestrator.testing.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An accepted run is never lost and an id is never handed out twice, however the swarm dies: round
 * after round, runs are submitted to {@code swarm up} and the process is killed (-9) at a random
 * moment up to 2 s after the last 201 — sometimes before anything ran, sometimes with jobs running
 * — then started again on the same state. Afterwards every acknowledged run is there, under the id
 * it was given, with all its jobs; no run is there twice; every run finishes, each job succeeding
 * once. The same against PostgreSQL, killing the database server too ({@code pg_ctl stop -m
 * immediate}).
 */
class CrashLoopSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String PIPELINE = """
      jobs:
        first: {steps: ["sleep 0.4"]}
        second: {needs: [first], steps: ["sleep 0.2"]}
        aside: {steps: ["true"]}
      """;

  @TempDir
  Path work;

  private SwarmProcess swarm;
  private PostgresServer postgres;
  private final Random random = new Random();
  /** Acknowledged runs: id → the marker (project) it was submitted with. */
  private final Map<Long, String> acknowledged = new LinkedHashMap<>();

  @AfterEach
  void stop() throws Exception {
    if (swarm != null) {
      swarm.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  @Test
  void onTheEmbeddedStoreNoAcknowledgedRunIsLostOrDoubledAcrossTwentyKills() throws Exception {
    crashLoop(20, null);
  }

  @Test
  void onPostgresqlNoAcknowledgedRunIsLostWhenTheDatabaseAndTheSwarmAreKilled() throws Exception {
    postgres = PostgresServer.start(true);
    String store = "postgresql://" + PostgresServer.USER + "@127.0.0.1:" + postgres.port() + "/" + PostgresServer.USER;
    crashLoop(6, store);
  }

  private void crashLoop(int rounds, String store) throws Exception {
    long seed = random.nextLong();
    random.setSeed(seed);
    for (int round = 0; round < rounds; round++) {
      Api api = up(store, "up-" + round);
      int submissions = 1 + random.nextInt(3);
      for (int i = 0; i < submissions; i++) {
        String marker = "crash-" + round + "-" + i;
        Api.Response created = api.post("/api/v1/runs", Map.of("project", marker, "pipeline", PIPELINE));
        assertThat(created.status()).as("round %d: %s", round, created.text()).isEqualTo(201);
        long id = created.json().path("id").asLong();
        assertThat(acknowledged).as("seed %s, round %d: id %d handed out twice", seed, round, id).doesNotContainKey(id);
        acknowledged.put(id, marker);
      }
      Thread.sleep(random.nextInt(2_001)); // kill -9 at any moment of the next two seconds
      if (postgres != null && round % 2 == 0) {
        postgres.stopServerImmediately(); // the database dies first, under the swarm
      }
      swarm.kill();
      if (postgres != null && round % 2 == 0) {
        postgres.startServer();
      }
    }

    Api api = up(store, "up-last");
    for (Map.Entry<Long, String> run : acknowledged.entrySet()) {
      JsonNode detail = api.awaitRun(run.getKey(), TIMEOUT);
      assertThat(detail.path("run").path("project").asText()).as("seed %s: run %d is the one acknowledged", seed,
          run.getKey()).isEqualTo(run.getValue());
      assertThat(detail.path("run").path("state").asText()).as("seed %s: %s", seed, detail).isEqualTo("SUCCEEDED");
      assertThat(detail.path("jobs")).hasSize(3);
      Map<Long, Integer> successes = new HashMap<>();
      for (JsonNode event : api.get("/api/v1/runs/" + run.getKey() + "/events?limit=10000").json().path("events")) {
        if (event.path("type").asText().equals("job.succeeded")) {
          successes.merge(event.path("jobId").asLong(), 1, Integer::sum);
        }
      }
      assertThat(successes).as("seed %s: run %d: each job succeeded once", seed, run.getKey()).hasSize(3)
          .allSatisfy((job, count) -> assertThat(count).isEqualTo(1));
    }
    List<String> projects = new ArrayList<>();
    Set<Long> ids = new HashSet<>();
    for (JsonNode run : api.get("/api/v1/runs?limit=500").json().path("runs")) {
      projects.add(run.path("project").asText());
      assertThat(ids.add(run.path("id").asLong())).isTrue();
    }
    assertThat(projects).as("seed %s: no run is there twice", seed).doesNotHaveDuplicates();
    assertThat(projects).containsAll(acknowledged.values());
  }

  /** Starts {@code swarm up} on the same state directory (and store) as every round before. */
  private Api up(String store, String name) throws Exception {
    List<String> args = new ArrayList<>(List.of("up", "--port", "0", "--cores", "2", "--kill-grace", "1",
        "--no-host-guard"));
    if (store != null) {
      args.addAll(List.of("--store", store));
    }
    swarm = SwarmProcess.start(work, name, Map.of(), args.toArray(String[]::new));
    String url = swarm.awaitUrl(TIMEOUT);
    return new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
  }
}
