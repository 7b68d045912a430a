package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.buildswarm.deploy.impl.StateDirectory;
import org.buildswarm.orchestrator.testing.PostgresServer;
import org.buildswarm.protocol.ProtocolJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-host swarm on a real PostgreSQL that is stopped and started again while runs are
 * submitted and jobs finish: the API refuses new work with 503 and Retry-After while the store is
 * away, everything it accepted completes once the store is back, and each job succeeds exactly once.
 */
class PostgresRestartTest {
  @TempDir
  Path directory;

  private PostgresServer postgres;
  private SingleHostSwarm swarm;
  private final HttpClient http = HttpClient.newHttpClient();
  private String token;

  @BeforeEach
  void start() throws Exception {
    postgres = PostgresServer.start();
    String uri = "postgresql://" + PostgresServer.USER + "@127.0.0.1:" + postgres.port() + "/" + PostgresServer.USER;
    swarm = new SingleHostSwarm(new SingleHostSwarm.Options(directory.resolve(".buildswarm"), "127.0.0.1", 0, 4,
        List.of("linux"), "local", 1_000, uri, List.of(), org.buildswarm.drone.HostGuardOptions.none()));
    swarm.start().toCompletionStage().toCompletableFuture().get();
    token = Files.readString(swarm.state().resolve(StateDirectory.ADMIN_TOKEN_FILE)).trim();
  }

  @AfterEach
  void stop() throws Exception {
    if (swarm != null) {
      swarm.stop(30_000);
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  private HttpResponse<String> submit() throws Exception {
    String yaml = "jobs:\n  a: {steps: [\"sleep 0.2\"]}\n  b: {needs: a, steps: [\"true\"]}\n";
    return http.send(HttpRequest.newBuilder(URI.create(swarm.url() + "api/v1/runs"))
        .header("authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(Map.of("project", "load", "pipeline", yaml))))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String path) throws Exception {
    return ProtocolJson.mapper().readTree(http.send(HttpRequest.newBuilder(URI.create(swarm.url() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  @Test
  void acceptedWorkSurvivesADatabaseRestartAndNewWorkIsRefusedMeanwhile() throws Exception {
    List<Long> accepted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response = submit();
      assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
      accepted.add(ProtocolJson.mapper().readTree(response.body()).path("id").asLong());
    }

    postgres.stopServer();
    AtomicBoolean refused = new AtomicBoolean();
    long deadline = System.currentTimeMillis() + 30_000;
    while (!refused.get() && System.currentTimeMillis() < deadline) {
      HttpResponse<String> response = submit();
      if (response.statusCode() == 201) {
        accepted.add(ProtocolJson.mapper().readTree(response.body()).path("id").asLong());
      } else {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).isPresent();
        refused.set(true);
      }
    }
    assertThat(refused).as("new work refused while the store is down").isTrue();
    Thread.sleep(1_500); // jobs finish meanwhile; their results wait for the store
    JsonNode down = get("api/v1/status");
    assertThat(down.path("storeAvailable").asBoolean()).isFalse();
    assertThat(down.path("eventsPending").asLong()).as("state changes wait for the store").isPositive();
    assertThat(http.send(HttpRequest.newBuilder(URI.create(swarm.url() + "health/ready")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);

    postgres.startServer();
    for (long run : accepted) {
      JsonNode detail = awaitRun(run);
      assertThat(detail.path("run").path("state").asText()).as("run %s", run).isEqualTo("SUCCEEDED");
    }
    Awaitility.await("the event log catches up").atMost(Duration.ofSeconds(60)).until(() -> get("api/v1/status"),
        status -> status.path("eventsPending").asLong() == 0 && status.path("storeAvailable").asBoolean());
    for (long run : accepted) {
      JsonNode events = get("api/v1/runs/" + run + "/events").path("events");
      Map<Long, Integer> successes = new HashMap<>();
      events.forEach(event -> {
        if (event.path("type").asText().equals("job.succeeded")) {
          successes.merge(event.path("jobId").asLong(), 1, Integer::sum);
        }
      });
      assertThat(successes).as("run %s: each job succeeds once, in the store", run).hasSize(2).containsValues(1, 1);
    }
    assertThat(get("health/ready").path("store").asText()).isEqualTo("available");
    HttpResponse<String> after = submit();
    assertThat(after.statusCode()).as("new work accepted again once the store is back").isEqualTo(201);
  }

  private JsonNode awaitRun(long run) {
    return Awaitility.await("run " + run + " to finish").atMost(Duration.ofSeconds(60))
        .until(() -> get("api/v1/runs/" + run),
            detail -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(detail.path("run").path("state").asText()));
  }
}
