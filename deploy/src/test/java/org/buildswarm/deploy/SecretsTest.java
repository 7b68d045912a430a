package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's secrets come from the drone's secrets directory and never show in the log the API serves. */
class SecretsTest {
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

  private String completeLog(long job) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      LocalSwarm.Reply log = swarm.get("/api/v1/jobs/" + job + "/log", null);
      if (log.status() == 200 && log.raw().headers().firstValue("x-log-complete").orElse("").equals("true")) {
        return log.raw().body();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no complete log for job " + job);
  }

  @Test
  void aJobGetsItsSecretAndTheLogShowsOnlyTheMask() throws Exception {
    Files.createDirectories(swarm.secretsDirectory());
    Files.writeString(swarm.secretsDirectory().resolve("REGISTRY_PASSWORD"), "hunter2-but-longer\n");
    JsonNode detail = swarm.runToEnd("""
        jobs:
          publish:
            secrets: [REGISTRY_PASSWORD]
            steps:
              - test "${#REGISTRY_PASSWORD}" = 18
              - echo "logging in with $REGISTRY_PASSWORD"
        """);
    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
    String log = completeLog(detail.path("jobs").get(0).path("id").asLong());
    assertThat(log).contains("logging in with ***").doesNotContain("hunter2");
  }

  @Test
  void aSecretTheDroneLacksFailsTheJobSayingWhich() throws Exception {
    JsonNode detail = swarm.runToEnd("""
        jobs:
          publish:
            secrets: [NOT_HERE]
            steps: ["true"]
        """);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("FAILED");
    assertThat(detail.path("jobs").get(0).path("reason").asText()).contains("secret NOT_HERE is not on this drone");
  }
}
