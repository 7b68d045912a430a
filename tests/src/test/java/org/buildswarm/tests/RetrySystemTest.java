package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-running the failed jobs of a run, end to end: {@code swarm up} as a process, a job that fails
 * until a file exists in its source, {@code swarm run}, the file made, {@code swarm retry}; the same
 * run ends succeeded with that job at attempt 2, and attempt 1's log is still there.
 */
class RetrySystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  static Path work;

  static SwarmProcess swarm;
  static Api api;

  @BeforeAll
  static void startSwarm() throws Exception {
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--cores", "2", "--no-host-guard");
    String url = swarm.awaitUrl(Duration.ofSeconds(120));
    api = new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
  }

  @AfterAll
  static void stopSwarm() {
    if (swarm != null) {
      swarm.close();
    }
  }

  private static JsonNode job(JsonNode detail, String name) {
    for (JsonNode job : detail.path("jobs")) {
      if (job.path("name").asText().equals(name)) {
        return job;
      }
    }
    throw new AssertionError("no job " + name + " in " + detail);
  }

  @Test
  void aJobThatFailedRunsAgainInTheSameRunOnceItsCauseIsFixed() throws Exception {
    Path project = Files.createDirectories(work.resolve("shop"));
    Files.writeString(project.resolve(".buildswarm.yml"), """
        name: shop
        jobs:
          build: {steps: ["echo built"]}
          check:
            needs: build
            steps: ["test -f marker || { echo marker-missing; exit 1; }", "echo marker-found"]
          package: {needs: check, steps: ["echo packaged"]}
        """);
    SwarmProcess.Finished first = SwarmProcess.run(work, "run", TIMEOUT, "run", project.toString());
    assertThat(first.exitCode()).as("%s", first).isEqualTo(1);
    Matcher id = Pattern.compile("run #(\\d+) ").matcher(first.stdout());
    assertThat(id.find()).as(first.stdout()).isTrue();
    long run = Long.parseLong(id.group(1));
    JsonNode failed = api.awaitRun(run, TIMEOUT);
    assertThat(job(failed, "check").path("state").asText()).isEqualTo("FAILED");
    assertThat(job(failed, "package").path("state").asText()).isEqualTo("SKIPPED");
    long check = job(failed, "check").path("id").asLong();

    Files.writeString(project.resolve("marker"), "fixed\n");
    SwarmProcess.Finished retried = SwarmProcess.run(work, "retry", TIMEOUT, "retry", Long.toString(run), "--failed");
    assertThat(retried.exitCode()).as("%s", retried).isZero();
    assertThat(retried.stdout()).contains("retried    check  was failed (attempt 1)")
        .contains("retried    package  was skipped").doesNotContain("retried    build");

    JsonNode done = api.awaitRun(run, TIMEOUT);
    assertThat(done.path("run").path("id").asLong()).isEqualTo(run);
    assertThat(done.path("run").path("state").asText()).as("%s", done).isEqualTo("SUCCEEDED");
    assertThat(job(done, "check").path("attempt").asInt()).isEqualTo(2);
    assertThat(job(done, "build").path("attempt").asInt()).as("kept its result").isEqualTo(1);
    assertThat(job(done, "package").path("state").asText()).isEqualTo("SUCCEEDED");
    // The step's command line is in each log too: what it printed is a line of its own.
    Pattern missing = Pattern.compile("(?m)^marker-missing$");
    assertThat(api.awaitLog(check, TIMEOUT)).contains("marker-found").doesNotContainPattern(missing);
    Api.Response firstAttempt = api.get("/api/v1/jobs/" + check + "/log?attempt=1");
    assertThat(firstAttempt.status()).isEqualTo(200);
    assertThat(firstAttempt.text()).containsPattern(missing).contains("attempt 1");
    SwarmProcess.Finished logs = SwarmProcess.run(work, "logs", TIMEOUT, "logs", run + "/check", "--attempt", "1");
    assertThat(logs.exitCode()).as("%s", logs).isZero();
    assertThat(logs.stdout()).containsPattern(missing);
    assertThat(api.get("/api/v1/runs").json().path("runs")).as("no new run").hasSize(1);
  }
}
