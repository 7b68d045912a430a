package org.buildswarm.gateway;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.DroneList;
import org.buildswarm.protocol.api.DroneView;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.QueueList;
import org.buildswarm.protocol.api.QueuedJob;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.SwarmStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With the orchestrator away, status reads are answered from the last snapshot, marked as such. */
class StatusFallbackTest {
  @TempDir
  Path data;

  private Vertx vertx;
  private final List<MessageConsumer<?>> orchestrator = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private String drone = "d1";

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    ProtocolCodecs.register(vertx.eventBus());
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private void orchestratorUp() {
    orchestrator.add(vertx.eventBus().consumer(Addresses.STATUS, message -> message.reply(new SwarmStatus("o1", 1,
        System.currentTimeMillis(), 1, Map.of(JobState.UNSCHEDULABLE, 1), null, 1, 8, 2, 0, 0, Map.of(), true, 0, 1, 6,
        Map.of()))));
    orchestrator.add(vertx.eventBus().consumer(Addresses.DRONE_LIST, message -> message.reply(new DroneList(List.of(
        new DroneView(drone, "host", "online", 8, 2, List.of("linux"), 0.5, 0, 0, List.of(3L), 1, null, true))))));
    JobView waiting = new JobView(9, 4, "train", JobState.UNSCHEDULABLE, 64, List.of("gpu"), List.of(), 1, null, null,
        null, List.of(), "no drone has label gpu", 1L, null, null,
        new org.buildswarm.protocol.api.WaitReason(org.buildswarm.protocol.api.WaitReason.Code.UNSCHEDULABLE,
            "no drone has label gpu"));
    orchestrator.add(vertx.eventBus().consumer(Addresses.QUEUE_LIST, message -> message.reply(
        new QueueList(List.of(new QueuedJob(waiting, "ml", 2, 1L, 0)), 1, 1))));
    orchestrator.add(vertx.eventBus().consumer(Addresses.RUN_LIST, message -> message.reply(new RunPage(List.of(), null))));
  }

  private void orchestratorDown() throws Exception {
    for (MessageConsumer<?> consumer : orchestrator) {
      await(consumer.unregister());
    }
    orchestrator.clear();
  }

  private URI deployGateway() throws Exception {
    GatewayOptions options = GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).withTimeouts(1_000, 30_000)
        .withSnapshotInterval(100);
    GatewayVerticle gateway = new GatewayVerticle(options, new LogStore(data.resolve("logs")));
    await(vertx.deployVerticle(gateway));
    return URI.create("http://127.0.0.1:" + gateway.port());
  }

  private JsonNode get(URI base, String path, int status) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(status);
    return ProtocolJson.mapper().readTree(response.body());
  }

  @Test
  void theLastSnapshotAnswersWhileTheOrchestratorIsAwayAndLiveDataReturnsByItself() throws Exception {
    orchestratorUp();
    URI base = deployGateway();
    Path file = data.resolve(GatewayVerticle.SNAPSHOT_FILE);
    JsonNode live = get(base, "/api/v1/overview", 200);
    assertThat(live.path("live").asBoolean()).isTrue();
    assertThat(live.path("queue").path("jobs").get(0).path("job").path("reason").asText())
        .isEqualTo("no drone has label gpu");
    assertThat(get(base, "/api/v1/status", 200).path("live").asBoolean()).isTrue();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!Files.exists(file) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(file).exists();

    orchestratorDown();
    JsonNode stale = get(base, "/api/v1/overview", 200);
    assertThat(stale.path("live").asBoolean()).isFalse();
    long snapshotAt = stale.path("snapshotAt").asLong();
    assertThat(snapshotAt).isPositive().isLessThanOrEqualTo(System.currentTimeMillis());
    assertThat(stale.path("drones").path("drones").get(0).path("name").asText()).isEqualTo("d1");
    JsonNode drones = get(base, "/api/v1/drones", 200);
    assertThat(drones.path("live").asBoolean()).isFalse();
    assertThat(drones.path("drones").get(0).path("busyCores").asInt()).isEqualTo(2);
    assertThat(get(base, "/api/v1/queue", 200).path("unschedulable").asInt()).isEqualTo(1);
    assertThat(get(base, "/api/v1/status", 200).path("coresTotal").asInt()).isEqualTo(8);
    // Reads that have no snapshot still say plainly that the orchestrator is away.
    assertThat(get(base, "/api/v1/runs/4", 503).path("error").path("code").asText())
        .isEqualTo("orchestrator_unavailable");
    // The UI and its files stay served.
    assertThat(http.send(HttpRequest.newBuilder(base.resolve("/app.js")).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode()).isEqualTo(200);

    // A gateway restarted during the outage still has the snapshot, from disk.
    await(vertx.close());
    vertx = Vertx.vertx();
    ProtocolCodecs.register(vertx.eventBus());
    URI restarted = deployGateway();
    JsonNode fromDisk = get(restarted, "/api/v1/overview", 200);
    assertThat(fromDisk.path("live").asBoolean()).isFalse();
    assertThat(fromDisk.path("snapshotAt").asLong()).as("written at most one interval before").isPositive()
        .isLessThanOrEqualTo(snapshotAt);

    drone = "d2";
    orchestratorUp();
    JsonNode back = get(restarted, "/api/v1/overview", 200);
    assertThat(back.path("live").asBoolean()).isTrue();
    assertThat(back.path("drones").path("drones").get(0).path("name").asText()).isEqualTo("d2");
    deadline = System.currentTimeMillis() + 10_000;
    while (!Files.readString(file).contains("\"d2\"") && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(Files.readString(file)).as("the snapshot follows live data again").contains("\"d2\"");
  }

  @Test
  void withoutAnySnapshotTheAnswerIs503() throws Exception {
    URI base = deployGateway();
    JsonNode error = get(base, "/api/v1/overview", 503).path("error");
    assertThat(error.path("code").asText()).isEqualTo("orchestrator_unavailable");
  }
}
