package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jobs publish the files they declare: through the drone, the job token and the gateway, into the repository. */
class ArtifactPublishingTest {
  @TempDir
  Path directory;

  private LocalSwarm swarm;

  @BeforeEach
  void start() throws Exception {
    swarm = LocalSwarm.start(directory, 2);
  }

  @AfterEach
  void stop() throws Exception {
    swarm.close();
  }

  @Test
  void aSucceededJobsArtifactIsTheNewLatestVersion() throws Exception {
    JsonNode detail = swarm.runToEnd("""
        jobs:
          package:
            steps:
              - mkdir -p dist && echo "built in run $BUILDSWARM_RUN_ID" > dist/app.txt
            artifacts:
              - dist/app.txt
        """);
    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
    long run = detail.path("run").path("id").asLong();
    LocalSwarm.Reply latest = swarm.get("/api/v1/artifacts/shop/app.txt/channels/latest/content", null);
    assertThat(latest.status()).isEqualTo(200);
    assertThat(latest.raw().body()).isEqualTo("built in run " + run + "\n");
    assertThat(latest.raw().headers().firstValue("x-artifact-version")).hasValue(run + ".1");
    long job = detail.path("jobs").get(0).path("id").asLong();
    assertThat(swarm.get("/api/v1/jobs/" + job + "/log", null).raw().body()).contains("published artifact \"app.txt\"");
  }

  @Test
  void aReRunPublishesTheNextVersionAndMovingTheChannelBackIsARollback() throws Exception {
    JsonNode first = swarm.runToEnd("""
        jobs:
          package:
            steps:
              - mkdir -p dist && echo "built in run $BUILDSWARM_RUN_ID" > dist/app.txt
            artifacts: [dist/app.txt]
        """);
    long firstRun = first.path("run").path("id").asLong();
    LocalSwarm.Reply rerun = swarm.post("/api/v1/runs/" + firstRun + "/rerun", swarm.adminToken, Map.of());
    assertThat(rerun.status()).as("%s", rerun.json()).isEqualTo(201);
    long secondRun = rerun.json().path("id").asLong();
    JsonNode second = swarm.awaitEnd(secondRun);
    assertThat(second.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(second.path("run").path("trigger").asText()).isEqualTo("MANUAL");
    assertThat(swarm.get("/api/v1/artifacts/shop/app.txt/channels/latest/content", null).raw().body())
        .isEqualTo("built in run " + secondRun + "\n");

    LocalSwarm.Reply back = swarm.put("/api/v1/artifacts/shop/app.txt/channels/latest", swarm.adminToken,
        Map.of("version", firstRun + ".1"));
    assertThat(back.status()).as("%s", back.json()).isEqualTo(200);
    assertThat(swarm.get("/api/v1/artifacts/shop/app.txt/channels/latest/content", null).raw().body())
        .isEqualTo("built in run " + firstRun + "\n");
    JsonNode history = swarm.get("/api/v1/artifacts/shop/app.txt/channels/latest", null).json().path("history");
    assertThat(history).hasSize(3);
    assertThat(history.get(2).path("previous").asText()).isEqualTo(secondRun + ".1");

    assertThat(swarm.post("/api/v1/runs/999/rerun", swarm.adminToken, Map.of()).status()).isEqualTo(404);
    assertThat(swarm.post("/api/v1/runs/" + firstRun + "/rerun", null, Map.of()).status()).isEqualTo(401);
  }

  @Test
  void aDeclaredFileThatIsMissingFailsTheJobAndPublishesNothing() throws Exception {
    JsonNode detail = swarm.runToEnd("""
        jobs:
          package:
            steps: ["true"]
            artifacts: [{path: dist/app.txt, name: app}]
        """);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("FAILED");
    assertThat(detail.path("jobs").get(0).path("reason").asText()).contains("artifact \"app\": no file at dist/app.txt");
    assertThat(swarm.get("/api/v1/artifacts/shop", null).status()).isEqualTo(404);
  }
}
