package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every wait has a reason, end to end: {@code swarm up} as a process, {@code swarm run} as another,
 * and for each kind of wait the reason is in the API (code and sentence) and in what
 * {@code swarm run} prints once the job has waited a few seconds. (Fair share, reservations and
 * grounded drones, which need several projects or drones, are covered in the core's
 * WaitReasonTest; a refusing host in HostGuardSystemTest.)
 */
class WaitReasonSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir
  static Path work;

  static SwarmProcess swarm;
  static Api api;

  @BeforeAll
  static void startSwarm() throws Exception {
    // Two cores, so two 2-core jobs cannot run at once; and a drone that takes work whatever the host does.
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--cores", "2", "--kill-grace", "1",
        "--no-host-guard");
    String url = swarm.awaitUrl(Duration.ofSeconds(120));
    api = new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
  }

  @AfterAll
  static void stopSwarm() {
    if (swarm != null) {
      swarm.close();
    }
  }

  private static Path pipeline(String name, String yaml) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(".buildswarm.yml"), yaml);
    return dir;
  }

  private static SwarmProcess follow(String logName, String... args) throws Exception {
    String[] command = new String[args.length + 1];
    command[0] = "run";
    System.arraycopy(args, 0, command, 1, args.length);
    return SwarmProcess.start(work, logName, Map.of(), command);
  }

  /** Submits DIR's pipeline through the API, as {@code swarm run [--branch REF] DIR} does. */
  private static long submit(String project, Path dir, String ref) throws Exception {
    Map<String, Object> source = new java.util.HashMap<>(Map.of("kind", "directory", "location", dir.toString()));
    if (ref != null) {
      source.put("ref", ref);
    }
    Api.Response created = api.post("/api/v1/runs", Map.of("project", project, "trigger", "manual",
        "pipeline", Files.readString(dir.resolve(".buildswarm.yml")), "source", source));
    assertThat(created.status()).as("%s", created.json()).isEqualTo(201);
    return created.json().path("id").asLong();
  }

  private static long runId(SwarmProcess run) throws Exception {
    return Long.parseLong(run.awaitOutput(Pattern.compile("run #(\\d+) of "), TIMEOUT));
  }

  private static JsonNode job(long runId, String name) throws Exception {
    for (JsonNode job : api.get("/api/v1/runs/" + runId).json().path("jobs")) {
      if (job.path("name").asText().equals(name)) {
        return job;
      }
    }
    throw new AssertionError("no job " + name + " in run " + runId);
  }

  /** Waits until the job's wait code is {@code code}; returns its sentence. */
  private static String awaitWait(long runId, String name, String code) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode job = null;
    while (System.nanoTime() < deadline) {
      job = job(runId, name);
      if (job.path("waiting").path("code").asText().equals(code)) {
        return job.path("waiting").path("message").asText();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + name + " of run " + runId + " never waited with " + code + ": " + job);
  }

  private static void awaitExit(SwarmProcess run, int status) throws Exception {
    assertThat(run.process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("%s", run.output()).isTrue();
    assertThat(run.process.exitValue()).as("%s", run.output()).isEqualTo(status);
    run.close();
  }

  @Test
  void aJobWithoutRoomSaysWhatItNeedsAndHowBusyTheDroneIs() throws Exception {
    Path dir = pipeline("no-room", """
        jobs:
          first: {cores: 2, steps: ["sleep 6"]}
          second: {cores: 2, steps: ["sleep 6"]}
        """);
    SwarmProcess run = follow("run-no-room", dir.toString());
    long id = runId(run);
    String printed = run.awaitOutput(Pattern.compile("waiting +(first|second) +(needs 2 cores; 2/2 busy on 1 drone)"),
        TIMEOUT);
    assertThat(printed).isIn("first", "second");
    assertThat(job(id, printed).path("waiting").path("code").asText()).isEqualTo("NO_ROOM");
    assertThat(job(id, printed).path("waiting").path("message").asText()).isEqualTo("needs 2 cores; 2/2 busy on 1 drone");
    JsonNode queue = api.get("/api/v1/queue").json().path("jobs");
    assertThat(queue).anySatisfy(queued -> assertThat(queued.path("job").path("waiting").path("code").asText())
        .isEqualTo("NO_ROOM"));
    awaitExit(run, 0);
  }

  @Test
  void aFailedJobWaitingOutItsBackoffCountsDown() throws Exception {
    // A cache outlives the attempt (the workspace does not): the retry finds what the first attempt left.
    Path dir = pipeline("backoff", """
        jobs:
          flaky:
            retries: {count: 1, backoff: 7s}
            caches: [attempts]
            steps:
              - run: if [ -f attempts/ran-once ]; then echo second time; else touch attempts/ran-once; exit 1; fi
        """);
    SwarmProcess run = follow("run-backoff", dir.toString());
    long id = runId(run);
    assertThat(awaitWait(id, "flaky", "RETRY_BACKOFF")).matches("retry 1 of 1 in \\d+(\\.\\d)?s");
    run.awaitOutput(Pattern.compile("waiting +flaky +retry 1 of 1 in \\d"), TIMEOUT);
    awaitExit(run, 0);
  }

  @Test
  void aRunBehindAnOlderOneOfItsConcurrencyGroupSaysWhichAndAPausedDroneSaysSo() throws Exception {
    Path dir = pipeline("grouped", """
        name: grouped
        concurrency: {group: main}
        jobs:
          build: {steps: ["sleep 15"]}
        """);
    long first = submit("grouped", dir, null); // as swarm run would (project: the directory's name), but at once
    SwarmProcess newer = follow("run-grouped-2", dir.toString());
    long second = runId(newer);
    String expected = "waiting for run " + first + " of concurrency group \"main\" to finish";
    assertThat(awaitWait(second, "build", "CONCURRENCY_GATE")).isEqualTo(expected);
    newer.awaitOutput(Pattern.compile("waiting +build +" + Pattern.quote(expected)), TIMEOUT);
    awaitExit(newer, 0);

    String drone = api.get("/api/v1/drones").json().path("drones").get(0).path("name").asText();
    assertThat(api.post("/api/v1/drones/" + drone + "/pause", Map.of()).status()).isEqualTo(200);
    try {
      SwarmProcess paused = follow("run-paused", pipeline("paused", "jobs:\n  only: {steps: [\"true\"]}\n").toString());
      long id = runId(paused);
      String sentence = "drone " + drone + " is paused (paused by an operator)";
      assertThat(awaitWait(id, "only", "DRONES_PAUSED")).isEqualTo(sentence);
      paused.awaitOutput(Pattern.compile("waiting +only +" + Pattern.quote(sentence)), TIMEOUT);
      JsonNode status = api.get("/api/v1/status").json();
      assertThat(status.path("dronesAccepting").asInt()).isZero();
      assertThat(status.path("coresFree").asInt()).as("a paused drone's cores are not free").isZero();
      assertThat(status.path("waitingByReason").path("DRONES_PAUSED").asInt()).isEqualTo(1);
      assertThat(api.post("/api/v1/drones/" + drone + "/resume", Map.of()).status()).isEqualTo(200);
      awaitExit(paused, 0);
    } finally {
      api.post("/api/v1/drones/" + drone + "/resume", Map.of());
    }
  }

  @Test
  void aDeployBehindAnotherRunsDeployToItsEnvironmentSaysWhich() throws Exception {
    Path dir = pipeline("deployer", """
        name: deployer
        jobs:
          ship:
            deploy: true
            steps: ["sleep 15"]
        """);
    long first = submit("deployer", dir, "main");
    SwarmProcess newer = follow("run-deploy-2", "--branch", "main", dir.toString());
    long second = runId(newer);
    String expected = "waiting for run " + first + " to finish deploying to prod";
    assertThat(awaitWait(second, "ship", "DEPLOY_GATE")).isEqualTo(expected);
    newer.awaitOutput(Pattern.compile("waiting +ship +" + Pattern.quote(expected)), TIMEOUT);
    awaitExit(newer, 0);
  }

  @Test
  void aJobNoDroneCouldEverRunIsStuckWithTheReason() throws Exception {
    SwarmProcess run = follow("run-huge", pipeline("huge", "jobs:\n  huge: {cores: 99, steps: [\"true\"]}\n").toString());
    long id = runId(run);
    assertThat(awaitWait(id, "huge", "UNSCHEDULABLE")).startsWith("needs 99 cores; the largest drone");
    run.awaitOutput(Pattern.compile("stuck +huge +needs 99 cores"), TIMEOUT);
    assertThat(api.post("/api/v1/runs/" + id + "/cancel", Map.of()).status()).isEqualTo(200);
    awaitExit(run, 1);
  }
}
