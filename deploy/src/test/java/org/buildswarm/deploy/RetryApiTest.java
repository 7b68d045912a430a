package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retrying failed jobs, and one job, through the API and {@code swarm retry}, on a real swarm in this JVM. */
class RetryApiTest {
  /** check fails until the source has a file named marker; after needs it; other needs nothing. */
  private static final String PIPELINE = """
      jobs:
        check: {steps: ["test -f marker || { echo marker-missing; exit 1; }", "echo marker-found"]}
        after: {needs: check, steps: ["echo after"]}
        other: {steps: ["echo other"]}
      """;

  @TempDir
  Path directory;

  private LocalSwarm swarm;
  private String developer;

  @BeforeEach
  void start() throws Exception {
    swarm = LocalSwarm.start(directory, 2);
    LocalSwarm.Reply created = swarm.post("/api/v1/tokens", swarm.adminToken, Map.of("name", "alice", "role", "developer"));
    developer = created.json().path("token").asText();
  }

  @AfterEach
  void stop() throws Exception {
    swarm.close();
  }

  private long submit(Path source, String pipeline) throws Exception {
    LocalSwarm.Reply created = swarm.post("/api/v1/runs", developer, Map.of("project", "shop", "pipeline", pipeline,
        "source", Map.of("kind", "directory", "location", source.toString())));
    assertThat(created.status()).as("%s", created.json()).isEqualTo(201);
    return created.json().path("id").asLong();
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
  void theFailedJobsRunAgainInTheSameRunWithANewAttemptAndTheOldLogStays() throws Exception {
    Path source = Files.createDirectories(directory.resolve("source"));
    long run = submit(source, PIPELINE);
    JsonNode failed = swarm.awaitEnd(run);
    assertThat(failed.path("run").path("state").asText()).isEqualTo("FAILED");
    assertThat(job(failed, "after").path("state").asText()).isEqualTo("SKIPPED");
    long check = job(failed, "check").path("id").asLong();
    long other = job(failed, "other").path("id").asLong();

    assertThat(swarm.post("/api/v1/runs/" + run + "/retry-failed", null, Map.of()).status()).isEqualTo(401);
    assertThat(swarm.post("/api/v1/runs/" + (run + 100) + "/retry-failed", developer, Map.of()).status()).isEqualTo(404);
    assertThat(swarm.post("/api/v1/runs/" + run + "/jobs/999999/retry", developer, Map.of()).status()).isEqualTo(404);
    LocalSwarm.Reply skippedAlone = swarm.post("/api/v1/runs/" + run + "/jobs/" + job(failed, "after").path("id").asLong()
        + "/retry", developer, Map.of());
    assertThat(skippedAlone.status()).isEqualTo(409);
    assertThat(skippedAlone.error().path("message").asText()).isEqualTo(
        "job \"after\" needs \"check\", which failed; retry the failed jobs (or that one) instead");

    Files.writeString(source.resolve("marker"), "now it passes\n");
    LocalSwarm.Reply retried = swarm.post("/api/v1/runs/" + run + "/retry-failed", developer, Map.of());
    assertThat(retried.status()).as("%s", retried.json()).isEqualTo(200);
    assertThat(retried.json().path("id").asLong()).as("the same run, not a new one").isEqualTo(run);
    assertThat(retried.json().path("state").asText()).isIn("QUEUED", "RUNNING", "SUCCEEDED");
    assertThat(retried.json().path("jobCounts").isObject()).isTrue();

    JsonNode done = swarm.awaitEnd(run);
    assertThat(done.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(job(done, "check").path("attempt").asInt()).isEqualTo(2);
    assertThat(job(done, "after").path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(job(done, "other").path("attempt").asInt()).as("kept its result").isEqualTo(1);
    // Each log shows the step's command line too: what the step printed is a line of its own.
    java.util.regex.Pattern missing = java.util.regex.Pattern.compile("(?m)^marker-missing$");
    assertThat(awaitLog(check, 1)).containsPattern(missing);
    assertThat(awaitLog(check, 2)).contains("marker-found").doesNotContainPattern(missing);

    List<JsonNode> retries = new ArrayList<>();
    swarm.get("/api/v1/runs/" + run + "/events", null).json().path("events").forEach(event -> {
      if (event.path("type").asText().endsWith(".retried")) {
        retries.add(event);
      }
    });
    assertThat(retries).extracting(event -> event.path("type").asText())
        .containsExactly("run.retried", "job.retried", "job.retried");
    assertThat(retries).allSatisfy(event -> assertThat(event.path("data").path("requestedBy").asText()).isEqualTo("alice"));

    LocalSwarm.Reply nothingFailed = swarm.post("/api/v1/runs/" + run + "/retry-failed", developer, Map.of());
    assertThat(nothingFailed.status()).isEqualTo(409);
    assertThat(nothingFailed.error().path("code").asText()).isEqualTo("conflict");
    assertThat(nothingFailed.error().path("message").asText())
        .isEqualTo("run " + run + " has no failed, timed-out or cancelled job (it succeeded)");
    assertThat(swarm.post("/api/v1/runs/" + run + "/retry-failed", developer, "[not an object").status()).isEqualTo(400);

    // One job that succeeded, by name through the CLI: it and nothing else (nothing needs it).
    Cli.Outcome cli = Cli.swarm("retry", Long.toString(run), "--job", "other", "--url", swarm.url(), "--token", developer);
    assertThat(cli.status()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("retried    other  was succeeded (attempt 1)")
        .contains("job other of run #" + run + " run again (1 job)");
    assertThat(job(swarm.awaitEnd(run), "other").path("attempt").asInt()).isEqualTo(2);

    Cli.Outcome refused = Cli.swarm("retry", Long.toString(run), "--url", swarm.url(), "--token", developer);
    assertThat(refused.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(refused.err()).contains("swarm retry: run " + run + " has no failed, timed-out or cancelled job");
    Cli.Outcome unknownJob = Cli.swarm("retry", Long.toString(run), "--job", "nope", "--url", swarm.url(), "--token",
        developer);
    assertThat(unknownJob.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(unknownJob.err()).contains("has no job \"nope\"; its jobs: check, after, other");
    assertThat(Cli.swarm("retry", Long.toString(run), "--failed", "--job", "other").status())
        .as("one or the other").isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(other).isPositive();
  }

  /** Waits until the job runs, and a little more: a cancel in the moment its sandbox starts may not reach its steps. */
  private long awaitRunning(long run, String name) throws Exception {
    for (int i = 0; i < 300; i++) {
      JsonNode job = job(swarm.get("/api/v1/runs/" + run, null).json(), name);
      if (job.path("state").asText().equals("RUNNING")) {
        Thread.sleep(500);
        return job.path("id").asLong();
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + " did not start");
  }

  @Test
  void aJobThatHasNotEndedIsNotRetried() throws Exception {
    Path source = Files.createDirectories(directory.resolve("source"));
    long run = submit(source, "jobs:\n  slow: {steps: [\"sleep 60\"]}\n");
    long slow = awaitRunning(run, "slow");
    LocalSwarm.Reply refused = swarm.post("/api/v1/runs/" + run + "/jobs/" + slow + "/retry", developer, Map.of());
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.error().path("message").asText())
        .isEqualTo("job \"slow\" is running; only a job that has ended can be retried");
    swarm.post("/api/v1/runs/" + run + "/cancel", developer, Map.of());
    assertThat(swarm.awaitEnd(run).path("run").path("state").asText()).isEqualTo("CANCELLED");
    LocalSwarm.Reply again = swarm.post("/api/v1/runs/" + run + "/jobs/" + slow + "/retry", developer, Map.of());
    assertThat(again.status()).as("a cancelled job can run again").isEqualTo(200);
    awaitRunning(run, "slow");
    swarm.post("/api/v1/runs/" + run + "/cancel", developer, Map.of());
    assertThat(swarm.awaitEnd(run).path("run").path("state").asText()).isEqualTo("CANCELLED");
  }

  /** The log of one attempt once the drone delivered it whole. */
  private String awaitLog(long job, int attempt) {
    LocalSwarm.Reply log = Awaitility.await("complete log of job " + job + " attempt " + attempt)
        .atMost(Duration.ofSeconds(30))
        .until(() -> swarm.get("/api/v1/jobs/" + job + "/log?attempt=" + attempt, null), reply -> reply.status() == 200
            && "true".equals(reply.raw().headers().firstValue("x-log-complete").orElse("")));
    assertThat(log.raw().headers().firstValue("x-log-attempt")).hasValue(Integer.toString(attempt));
    return log.raw().body();
  }
}
