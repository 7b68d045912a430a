package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation, end to end: {@code swarm up} started as a separate process exactly as the README
 * says, pipelines submitted through the API and with {@code swarm run}, results, order and logs
 * checked through the API, and a clean stop that leaves nothing running.
 */
class SingleHostSwarmSystemTest {
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

  @TempDir
  static Path work;

  static SwarmProcess swarm;
  static String url;
  static Api api;

  @BeforeAll
  static void startSwarm() throws Exception {
    // The tests need the drone to take work whatever else this host is doing.
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--kill-grace", "2", "--no-host-guard");
    url = swarm.awaitUrl(Duration.ofSeconds(120));
    String token = Files.readString(work.resolve(".buildswarm/admin.token")).trim();
    api = new Api(url, token);
  }

  @AfterAll
  static void stopSwarm() throws Exception {
    if (swarm == null) {
      return;
    }
    try {
      // A job that is still running (with children that ignore SIGTERM) when the swarm stops
      // must not outlive it.
      long run = submit("stubborn", """
          jobs:
            sleeper:
              steps:
                - run: |
                    sh -c 'trap "" TERM; sleep 600' &
                    sleep 600
          """);
      awaitJobState(run, "sleeper", "RUNNING");
      assertThat(swarm.terminate(Duration.ofSeconds(60))).as("swarm stops on SIGTERM\n%s", swarm.output()).isTrue();
      assertThat(swarm.process.exitValue()).isZero();
      assertThat(swarm.stdout()).contains("buildswarm stopped");
      assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 5_000)).as("processes left behind").isEmpty();
    } finally {
      swarm.close();
    }
  }

  @Test
  void diamondPipelineRunsInDependencyOrderWithItsCoresAndLogs() throws Exception {
    Path example = SwarmProcess.checkout().resolve("examples/diamond");
    long runId = submit("diamond-api", Files.readString(example.resolve(".buildswarm.yml")), example);
    JsonNode detail = api.awaitRun(runId, RUN_TIMEOUT);

    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
    Map<String, JsonNode> jobs = byName(detail);
    assertThat(jobs.keySet()).containsExactlyInAnyOrder(
        "checkout", "compile-core", "compile-docs", "test (1)", "test (2)", "package");
    Set<Integer> cores = new HashSet<>();
    for (JsonNode job : jobs.values()) {
      assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
      cores.add(job.path("cores").asInt());
      for (JsonNode need : job.path("needs")) {
        JsonNode needed = jobs.get(need.asText());
        assertThat(job.path("startedAt").asLong())
            .as("%s starts after %s finished", job.path("name").asText(), need.asText())
            .isGreaterThanOrEqualTo(needed.path("finishedAt").asLong());
      }
    }
    assertThat(cores).as("different core counts").containsExactlyInAnyOrder(1, 2);
    assertThat(jobs.get("test (2)").path("needs")).extracting(JsonNode::asText)
        .containsExactlyInAnyOrder("compile-core", "compile-docs");
    assertThat(jobs.get("package").path("needs")).extracting(JsonNode::asText)
        .containsExactlyInAnyOrder("test (1)", "test (2)");

    String compileLog = api.awaitLog(jobs.get("compile-core").path("id").asLong(), Duration.ofSeconds(30));
    assertThat(compileLog).contains("==> [1/1] compile", "compile core: starting (weight 2, 2 core(s))",
        "compile core: done", "==> succeeded");
    String testLog = api.awaitLog(jobs.get("test (2)").path("id").asLong(), Duration.ofSeconds(30));
    assertThat(testLog).contains("test shard-2: starting (weight 2");
    String checkoutLog = api.awaitLog(jobs.get("checkout").path("id").asLong(), Duration.ofSeconds(30));
    assertThat(checkoutLog).contains("main.c", "README.md");

    JsonNode events = api.get("/api/v1/runs/" + runId + "/events").json().path("events");
    List<String> types = Stream.iterate(0, i -> i < events.size(), i -> i + 1).map(i -> events.get(i).path("type").asText()).toList();
    assertThat(types).startsWith("run.created").endsWith("run.succeeded");
    assertThat(types.stream().filter("job.succeeded"::equals).count()).isEqualTo(6);
    assertThat(types).contains("job.queued", "job.assigned", "job.started");
  }

  @Test
  void swarmRunFollowsThePipelineAndExitsZero() throws Exception {
    SwarmProcess.Finished run = SwarmProcess.run(work, "run-diamond", RUN_TIMEOUT, "run",
        SwarmProcess.checkout().resolve("examples/diamond").toString());
    assertThat(run.exitCode()).as("%s", run).isZero();
    assertThat(run.stdout()).containsPattern("run #\\d+ of diamond: 6 jobs")
        .containsPattern("queued     checkout\\n  running    checkout  on \\S+\\n  passed     checkout  [0-9.]+s")
        .contains("passed     compile-core", "passed     test (1)", "running    package  on ", "passed     package")
        .containsPattern("run #\\d+ succeeded in [0-9.]+s: 6 passed");
  }

  @Test
  void failingJobSkipsItsDependentsAndSwarmRunExitsOne() throws Exception {
    SwarmProcess.Finished run = SwarmProcess.run(work, "run-failing", RUN_TIMEOUT, "run",
        SwarmProcess.checkout().resolve("examples/failing").toString());
    assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
    assertThat(run.stdout())
        .contains("FAILED     test  step \"unit tests\" exited with 3")
        .contains("| test_division ... FAILED: expected 2, got 3")
        .contains("skipped    deploy  needs \"test\", which failed")
        .contains("passed     lint")
        .containsPattern("run #\\d+ failed in [0-9.]+s: 2 passed, 1 failed, 1 skipped");

    long runId = latestRunId("failing");
    Map<String, JsonNode> jobs = byName(api.get("/api/v1/runs/" + runId).json());
    assertThat(jobs.get("deploy").path("state").asText()).isEqualTo("SKIPPED");
    String log = api.awaitLog(jobs.get("test").path("id").asLong(), Duration.ofSeconds(30));
    assertThat(log).contains("==> [1/1] unit tests", "test_division ... FAILED", "==> exit 3");
  }

  @Test
  void invalidPipelineNamesLineAndColumnAndQueuesNothing(@TempDir Path project) throws Exception {
    Files.writeString(project.resolve(".buildswarm.yml"), """
        jobs:
          build:
            cores: 0
            steps: [make]
          test:
            needs: [biuld]
            steps: [make test]
        """);
    long before = latestRunId(null);
    SwarmProcess.Finished run = SwarmProcess.run(work, "run-invalid", RUN_TIMEOUT, "run", project.toString());
    assertThat(run.exitCode()).as("%s", run).isEqualTo(2);
    assertThat(run.stderr())
        .contains("the pipeline is invalid; nothing was queued")
        .contains(".buildswarm.yml:3:12: job \"build\": \"cores\" must be at least 1, not 0")
        .contains(".buildswarm.yml:6:13: job \"test\" needs \"biuld\", which is not a job in this pipeline (did you mean \"build\"?)");
    assertThat(latestRunId(null)).isEqualTo(before);
  }

  @Test
  void aRunFromACheckoutShowsItsCommitInTheCliTheApiAndSwarmStatus() throws Exception {
    Path checkout = Files.createDirectories(work.resolve("sources").resolve("checkout"));
    Files.writeString(checkout.resolve(".buildswarm.yml"), "jobs:\n  build:\n    steps: [\"true\"]\n");
    String sha;
    try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.init().setDirectory(checkout.toFile())
        .setInitialBranch("main").call()) {
      git.add().addFilepattern(".").call();
      sha = git.commit().setMessage("Teach the build to pass\n\nand more").setAuthor("Bo", "bo@example.org")
          .setCommitter("Bo", "bo@example.org").call().getName();
    }
    SwarmProcess.Finished run = SwarmProcess.run(work, "run-checkout", RUN_TIMEOUT, "run", checkout.toString());
    assertThat(run.exitCode()).as("%s", run).isZero();
    assertThat(run.stdout()).contains("  source   " + checkout + " at " + sha.substring(0, 7)
        + " \"Teach the build to pass\" — Bo <bo@example.org>");
    JsonNode summary = api.get("/api/v1/runs?project=checkout").json().path("runs").get(0);
    assertThat(summary.path("source").path("commit").path("sha").asText()).isEqualTo(sha);
    assertThat(summary.path("source").path("kind").asText()).isEqualTo("directory");
    SwarmProcess.Finished status = SwarmProcess.run(work, "status-checkout", RUN_TIMEOUT, "status");
    assertThat(status.stdout()).as("%s", status).contains(" at " + sha.substring(0, 7) + " \"Teach the build to pass\"");
    // A job by the names `swarm run` prints: the run's id and the job's name.
    SwarmProcess.Finished logs = SwarmProcess.run(work, "logs-by-name", RUN_TIMEOUT, "logs",
        summary.path("id").asLong() + "/build");
    assertThat(logs.exitCode()).as("%s", logs).isZero();
    assertThat(logs.stdout()).contains("==> job \"build\"");
    SwarmProcess.Finished unknown = SwarmProcess.run(work, "logs-unknown", RUN_TIMEOUT, "logs",
        summary.path("id").asLong() + "/deploy");
    assertThat(unknown.exitCode()).as("%s", unknown).isEqualTo(2);
    assertThat(unknown.stderr()).contains("has no job \"deploy\"; its jobs: build");
  }

  @Test
  void aJobsLogLinesCarryTheTimesTheyWereWritten() throws Exception {
    long runId = submit("log-times", """
        jobs:
          timed:
            steps:
              - run: echo a; sleep 1; echo b
        """);
    JsonNode detail = api.awaitRun(runId, RUN_TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
    long jobId = byName(detail).get("timed").path("id").asLong();
    byte[] log = api.awaitLog(jobId, Duration.ofSeconds(30)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String text = new String(log, java.nio.charset.StandardCharsets.UTF_8);
    long header = byteOffset(text, "==> [1/1] echo a; sleep 1; echo b\n");
    long lineA = byteOffset(text, "\na\n") + 1;
    long lineB = byteOffset(text, "\nb\n") + 1;
    long exit = byteOffset(text, "\n==> exit 0") + 1;

    JsonNode answer = api.get("/api/v1/jobs/" + jobId + "/log/times").json();
    assertThat(answer.path("attempt").asInt()).isEqualTo(1);
    Map<Long, Long> times = new java.util.LinkedHashMap<>();
    long previous = -1;
    for (JsonNode pair : answer.path("times")) {
      long offset = pair.get(0).asLong();
      assertThat(offset).as("ascending, each a line start: %s", answer).isGreaterThan(previous);
      assertThat(offset == 0 || log[(int) offset - 1] == '\n').as("line start %s in %s", offset, answer).isTrue();
      times.put(offset, pair.get(1).asLong());
      previous = offset;
    }
    assertThat(times).as("the first line, the step's header, b and the drone's exit line").containsKeys(0L, header, lineB, exit);
    // a was written right after the header: its own entry, or (within 100 ms) the header's
    long timeOfA = times.containsKey(lineA) ? times.get(lineA) : times.get(header);
    assertThat(times.get(lineB) - timeOfA).as("b a second after a: %s", answer).isBetween(900L, 10_000L);
    JsonNode job = byName(detail).get("timed");
    long now = System.currentTimeMillis();
    assertThat(times.values()).as("the drone's clock (epoch ms), after the job was queued: %s", job)
        .allSatisfy(time -> assertThat(time).isBetween(job.path("queuedAt").asLong(), now));

    JsonNode fromB = api.get("/api/v1/jobs/" + jobId + "/log/times?attempt=1&from=" + lineB).json();
    assertThat(fromB.path("times").get(0).get(0).asLong()).isEqualTo(lineB);
    assertThat(api.get("/api/v1/jobs/999999/log/times").status()).isEqualTo(404);

    SwarmProcess.Finished cli = SwarmProcess.run(work, "logs-timestamps", RUN_TIMEOUT, "logs", "--timestamps",
        Long.toString(jobId));
    assertThat(cli.exitCode()).as("%s", cli).isZero();
    java.util.regex.Matcher a = java.util.regex.Pattern.compile("(?m)^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) a$")
        .matcher(cli.stdout());
    java.util.regex.Matcher b = java.util.regex.Pattern.compile("(?m)^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) b$")
        .matcher(cli.stdout());
    assertThat(a.find() && b.find()).as("%s", cli).isTrue();
    long apart = Math.floorMod(millisOfDay(b) - millisOfDay(a), 86_400_000L);
    assertThat(apart).as("%s", cli).isEqualTo(times.get(lineB) - timeOfA);
    assertThat(cli.stdout()).containsPattern("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ==> job \"timed\"");
  }

  private static long byteOffset(String text, String part) {
    int at = text.indexOf(part);
    assertThat(at).as("%s in %s", part, text).isNotNegative();
    return text.substring(0, at).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  private static long millisOfDay(java.util.regex.Matcher time) {
    return ((Long.parseLong(time.group(1)) * 60 + Long.parseLong(time.group(2))) * 60 + Long.parseLong(time.group(3)))
        * 1000 + Long.parseLong(time.group(4));
  }

  @Test
  void cancellingARunningJobStopsItsWholeProcessTree() throws Exception {
    // The job runs in its own PID namespace (the sandbox), so it cannot tell us its grandchild's pid:
    // the test finds it on the host by a name only that process carries as its last argument.
    String name = "stubborn-" + java.util.UUID.randomUUID();
    long runId = submit("cancel-me", """
        jobs:
          stubborn:
            steps:
              - run: |
                  %s &
                  sleep 600
          after:
            needs: stubborn
            steps: ["true"]
        """.formatted(HostProcesses.named(name, "trap \"\" TERM; sleep 600")));
    awaitJobState(runId, "stubborn", "RUNNING");
    long grandchild = HostProcesses.await(name, Duration.ofSeconds(30));

    SwarmProcess.Finished cancel = SwarmProcess.run(work, "cancel", RUN_TIMEOUT, "cancel", Long.toString(runId));
    assertThat(cancel.exitCode()).as("%s", cancel).isZero();
    assertThat(cancel.stdout()).contains("cancelling run #" + runId);

    JsonNode detail = api.awaitRun(runId, RUN_TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("CANCELLED");
    Map<String, JsonNode> jobs = byName(detail);
    assertThat(jobs.get("stubborn").path("state").asText()).isEqualTo("CANCELLED");
    assertThat(jobs.get("after").path("state").asText()).isEqualTo("CANCELLED");
    assertThat(running(grandchild)).as("the grandchild that ignored SIGTERM was killed").isFalse();
    JsonNode events = api.get("/api/v1/runs/" + runId + "/events").json().path("events");
    assertThat(events.toString()).contains("job.cancel_requested", "cancelled by admin");
  }

  /** Alive and not a zombie (this machine's init may leave killed orphans unreaped). */
  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void mutatingCallsNeedAValidToken() throws Exception {
    Api anonymous = new Api(url, null);
    Api.Response noToken = anonymous.post("/api/v1/runs", Map.of("pipeline", "jobs: {a: {steps: [x]}}"));
    assertThat(noToken.status()).isEqualTo(401);
    assertThat(noToken.json().path("error").path("code").asText()).isEqualTo("unauthorized");
    Api.Response badToken = new Api(url, "not-a-token").post("/api/v1/runs", Map.of("pipeline", "jobs: {a: {steps: [x]}}"));
    assertThat(badToken.status()).isEqualTo(401);
    assertThat(badToken.json().path("error").path("message").asText()).isEqualTo("unknown API token");
    assertThat(anonymous.get("/api/v1/runs/999999").status()).isEqualTo(404);
  }

  @Test
  void uiIsServedAndUpdatesLiveOverServerSentEvents() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<script type=\"module\" src=\"/app.js\">");
    HttpResponse<String> script = http.send(HttpRequest.newBuilder(URI.create(url).resolve("/app.js")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(script.body()).contains("stream('/events'"); // live events read with fetch, so a token can go along
    assertThat(api.get("/health/live").status()).isEqualTo(200);
    assertThat(api.get("/health/ready").json().path("status").asText()).isEqualTo("UP");

    HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(URI.create(url).resolve("/api/v1/events")).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    CompletableFuture<String> firstJobEvent = CompletableFuture.supplyAsync(() -> stream.body()
        .filter(line -> line.startsWith("data:") && line.contains("\"jobName\":\"live-check\""))
        .findFirst().orElse(""));
    submit("live", "jobs:\n  live-check:\n    steps: [\"true\"]\n");
    assertThat(firstJobEvent.get(30, TimeUnit.SECONDS)).contains("\"type\":\"job.queued\"");
    stream.body().close();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static long submit(String project, String yaml) throws Exception {
    // An empty source of its own: the swarm's state and output live in work and change while jobs copy.
    return submit(project, yaml, Files.createDirectories(work.resolve("sources").resolve(project)));
  }

  private static long submit(String project, String yaml, Path source) throws Exception {
    Api.Response created = api.post("/api/v1/runs", Api.submission(project, yaml, source.toString()));
    assertThat(created.status()).as("%s", created.text()).isEqualTo(201);
    return created.json().path("id").asLong();
  }

  private static void awaitJobState(long runId, String job, String state) throws Exception {
    long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (state.equals(byName(api.get("/api/v1/runs/" + runId).json()).get(job).path("state").asText())) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(job + " never reached " + state);
  }

  private static long latestRunId(String project) throws Exception {
    JsonNode runs = api.get("/api/v1/runs?limit=1" + (project == null ? "" : "&project=" + project)).json().path("runs");
    return runs.isEmpty() ? 0 : runs.get(0).path("id").asLong();
  }

  private static Map<String, JsonNode> byName(JsonNode detail) {
    Map<String, JsonNode> jobs = new HashMap<>();
    detail.path("jobs").forEach(job -> jobs.put(job.path("name").asText(), job));
    return jobs;
  }
}
