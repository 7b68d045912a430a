package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRunnerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration FILE_POLL = Duration.ofMillis(10);
  @TempDir
  Path work;

  private final ExecutorService threads = Executors.newCachedThreadPool();
  /** The runner's own behaviour is tested without a sandbox; SandboxTest tests the sandbox. */
  private Sandbox sandbox = Sandbox.none("tests of the runner");
  private long logLimitBytes;
  /** The JUnit XML report patterns of the jobs started. */
  private List<String> reports = List.of();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  /**
   * @param stepsEnded true when, as the runner said the steps ended, none of their processes was
   *     left; failed if the runner finished without saying so first
   */
  private record Ran(JobRunner runner, CompletableFuture<Long> started, CompletableFuture<Boolean> stepsEnded,
      CompletableFuture<JobRunner.Result> result, Path log, Path workspace) {}

  private Ran start(long timeoutMs, long graceMs, Map<String, String> env, SourceSpec source, Step... steps) {
    return start(timeoutMs, graceMs, env, source, List.of(), steps);
  }

  private Ran start(long timeoutMs, long graceMs, Map<String, String> env, SourceSpec source, List<String> secretNames,
      Step... steps) {
    return start(timeoutMs, graceMs, env, source, secretNames, null, steps);
  }

  /** @param kept where failed workspaces are kept; null removes them (as the drone does by default) */
  private Ran start(long timeoutMs, long graceMs, Map<String, String> env, SourceSpec source, List<String> secretNames,
      Path kept, Step... steps) {
    AssignJob job = new AssignJob("d1", 1, new AttemptRef(42, 1, 7), 3, "job",
        new JobExecution(List.of(steps), env, 2, timeoutMs, source, List.of(), secretNames, null, null, null, reports),
        "job-token");
    CompletableFuture<Long> started = new CompletableFuture<>();
    CompletableFuture<Boolean> stepsEnded = new CompletableFuture<>();
    CompletableFuture<JobRunner.Result> result = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicReference<JobRunner> self = new java.util.concurrent.atomic.AtomicReference<>();
    Path log = work.resolve("logs/job.log");
    Path workspace = work.resolve("jobs/job");
    JobRunner.Setup setup = new JobRunner.Setup(Map.of("PATH", System.getenv("PATH")), graceMs, kept, threads, null,
        new SecretsDirectory(work.resolve("secrets")), sandbox, work.resolve("caches"), logLimitBytes);
    JobRunner runner = new JobRunner(job, workspace, log, new SourceFetcher(work.resolve("mirrors"), Set.of(work)),
        setup, new JobRunner.Listener() {
          @Override
          public void started(long at) {
            started.complete(at);
          }

          @Override
          public void stepsEnded() {
            stepsEnded.complete(self.get().processGroups().stream().allMatch(group -> ProcessGroups.members(group).isEmpty()));
          }

          @Override
          public void finished(JobRunner.Result finished) {
            stepsEnded.completeExceptionally(new AssertionError("finished without saying its steps had ended"));
            result.complete(finished);
          }
        });
    self.set(runner);
    threads.execute(runner);
    return new Ran(runner, started, stepsEnded, result, log, workspace);
  }

  /** Alive and not a zombie (an exited process whose parent has not reaped it is not running). */
  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private Ran start(Step... steps) {
    return start(60_000, 2_000, Map.of(), SourceSpec.none(), steps);
  }

  @Test
  void runsStepsInOrderInAFreshWorkspaceWithTheJobsEnvironment() throws Exception {
    Ran ran = start(60_000, 2_000, Map.of("GREETING", "hello"), SourceSpec.none(),
        new Step("write", "echo \"$GREETING from $BUILDSWARM_JOB_NAME on $BUILDSWARM_CORES cores\" > out.txt"),
        new Step("read", "cat out.txt; test \"$CI\" = true"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.SUCCEEDED);
    String log = Files.readString(ran.log());
    assertThat(log).contains("==> [1/2] write", "==> [2/2] read", "hello from job on 2 cores", "==> succeeded");
    assertThat(log.indexOf("[1/2]")).isLessThan(log.indexOf("[2/2]"));
    // Removed right after the report.
    await().atMost(WAIT).pollInterval(FILE_POLL).untilAsserted(
        () -> assertThat(ran.workspace()).as("workspace removed after success").doesNotExist());
  }

  @Test
  void itsCoresAreFreeOnlyOnceEveryProcessTheStepsStartedIsGoneAndBeforeItFinishes() throws Exception {
    Ran ran = start(60_000, 500, Map.of(), SourceSpec.none(),
        new Step("leave something running", "sleep 600 & echo $! > background.pid; echo started"));
    assertThat(ran.stepsEnded().get(30, TimeUnit.SECONDS)).as("the background sleep was stopped first").isTrue();
    assertThat(ran.result().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(JobOutcome.SUCCEEDED);
  }

  @Test
  void secretsAreInTheEnvironmentAndMaskedInEveryLineEvenWhenOutputArrivesInPieces() throws Exception {
    Files.createDirectories(work.resolve("secrets"));
    Files.writeString(work.resolve("secrets/NPM_TOKEN"), "npm_s3cr3t_value\n");
    Files.writeString(work.resolve("secrets/DEPLOY_KEY"), "-----BEGIN KEY-----\nAAAAkeymaterial\n-----END KEY-----\n");
    Ran ran = start(60_000, 2_000, Map.of(), SourceSpec.none(), List.of("NPM_TOKEN", "DEPLOY_KEY"),
        new Step("use", "test \"$NPM_TOKEN\" = npm_s3cr3t_value; echo \"token=$NPM_TOKEN\"; "
            // the secret written a few bytes at a time, with pauses, across separate writes
            + "printf 'again: npm_'; sleep 0.2; printf 's3cr3t'; sleep 0.2; printf '_value done\\n'; "
            + "echo \"$DEPLOY_KEY\" | sed -n 2p; echo the end"),
        new Step("fail", "echo \"last words $NPM_TOKEN\"; exit 3"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.FAILED);
    String log = Files.readString(ran.log());
    assertThat(log).doesNotContain("s3cr3t").doesNotContain("AAAAkeymaterial")
        .contains("token=***", "again: *** done", "the end", "secrets NPM_TOKEN, DEPLOY_KEY are in the environment");
    assertThat(result.logTail()).containsExactly("last words ***");
  }

  @Test
  void theJobHasItsAttemptsJobTokenMaskedInItsLog() throws Exception {
    Ran ran = start(new Step("use", "test \"$BUILDSWARM_JOB_TOKEN\" = job-token; echo \"token=$BUILDSWARM_JOB_TOKEN\""));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).as(Files.readString(ran.log())).isEqualTo(JobOutcome.SUCCEEDED);
    assertThat(Files.readString(ran.log())).contains("token=***").doesNotContain("token=job-token");
  }

  @Test
  void aSecretIsMaskedInALineOfAnyLengthAtEveryCutAndAtTheLogShippersChunkBoundaries() throws Exception {
    Files.createDirectories(work.resolve("secrets"));
    String secret = "tok_0123456789abcdef";
    Files.writeString(work.resolve("secrets/TOKEN"), secret + "\n");
    int chunk = org.buildswarm.drone.DroneOptions.DEFAULT_LOG_CHUNK_BYTES;
    // One 3 MB line holding the secret 38 times at positions that straddle every 64 KiB cut, then
    // the secret split over two writes, then the secret ending exactly where a log chunk ends.
    String script = "for i in $(seq 38); do head -c " + (80 * 1024 - 7) + " /dev/zero | tr '\\0' ' '; "
        + "printf '%s' \"$TOKEN\"; done; echo; "
        + "printf 'split: %s' \"$(echo \"$TOKEN\" | cut -c1-9)\"; sleep 0.3; printf '%s end\\n' \"$(echo \"$TOKEN\" | cut -c10-)\"; "
        + "head -c " + (3 * chunk - secret.length()) + " /dev/zero | tr '\\0' x; printf '%s' \"$TOKEN\"; echo";
    Ran ran = start(60_000, 2_000, Map.of(), SourceSpec.none(), List.of("TOKEN"), new Step("print", script));
    JobRunner.Result result = ran.result().get(60, TimeUnit.SECONDS);
    assertThat(result.outcome()).as(Files.readString(ran.log()).substring(0, 300)).isEqualTo(JobOutcome.SUCCEEDED);
    String log = Files.readString(ran.log());
    assertThat(log).doesNotContain(secret).contains("split: *** end");
    assertThat(countOf(log, "***")).as("each occurrence masked once").isEqualTo(38 + 1 + 1);
    // The spool as the log shipper cuts it: no chunk holds even a piece of the secret long enough to matter.
    byte[] spool = Files.readAllBytes(ran.log());
    for (int at = 0; at < spool.length; at += chunk) {
      String piece = new String(spool, at, Math.min(chunk, spool.length - at), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(piece).doesNotContain(secret).doesNotContain(secret.substring(0, 10)).doesNotContain(secret.substring(10));
    }
  }

  private static int countOf(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
      count++;
    }
    return count;
  }

  @Test
  void outputBeyondTheLogLimitIsNotKeptAndTheLogSaysSoButTheJobGoesOn() throws Exception {
    logLimitBytes = 1024 * 1024;
    Ran ran = start(new Step("flood", "head -c 5000000 /dev/zero | tr '\\0' 'y' | fold -w 100; echo after-the-flood"),
        new Step("next", "echo the next step ran; exit 4"));
    JobRunner.Result result = ran.result().get(60, TimeUnit.SECONDS);
    assertThat(result.outcome()).as("the build is not failed for its log (the step's own exit is what counts)")
        .isEqualTo(JobOutcome.FAILED);
    assertThat(result.exitCode()).isEqualTo(4);
    String log = Files.readString(ran.log());
    assertThat(Files.size(ran.log())).isLessThan(logLimitBytes + 4096);
    assertThat(log).contains("==> the log reached its limit of 1 MiB; the rest of this job's output is not kept",
        "==> [2/2] next", "==> exit 4").doesNotContain("after-the-flood");
    assertThat(countOf(log, "reached its limit")).isEqualTo(1);
    assertThat(result.logTail()).as("the report's tail still follows the output").contains("the next step ran");
  }

  private static final String REPORT = "mkdir -p out; printf '%s' '<testsuite name=\"s\"><testcase classname=\"A\" "
      + "name=\"b\"><failure message=\"no\">trace</failure></testcase><testcase classname=\"A\" name=\"c\"/>"
      + "</testsuite>' > out/TEST-a.xml; ";

  @Test
  void aFailedJobsReportsAreReadAndABrokenOneIsALineInItsLog() throws Exception {
    reports = List.of("out/*.xml");
    Ran failed = start(new Step("test", REPORT + "printf '%s' '<testsuite>' > out/TEST-broken.xml; exit 1"));
    JobRunner.Result result = failed.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.FAILED);
    assertThat(result.tests().summary()).isEqualTo(new org.buildswarm.protocol.api.TestSummary(2, 1, 1, 0, 0, 0));
    assertThat(result.tests().failures()).singleElement().satisfies(f -> assertThat(f.message()).isEqualTo("no"));
    assertThat(Files.readString(failed.log())).contains("==> reports: out/TEST-broken.xml is left out, it is not a "
        + "JUnit XML report: 1:", "==> reports: 1 file(s), 2 tests: 1 passed, 1 failed");
  }

  @Test
  void aTimedOutJobsReportsAreRead() throws Exception {
    reports = List.of("out/*.xml");
    Ran timedOut = start(1_500, 500, Map.of(), SourceSpec.none(), new Step("hang", REPORT + "sleep 30"));
    JobRunner.Result late = timedOut.result().get(30, TimeUnit.SECONDS);
    assertThat(late.outcome()).isEqualTo(JobOutcome.TIMED_OUT);
    assertThat(late.tests().summary().total()).isEqualTo(2);
  }

  @Test
  void aCancelledJobsReportsAreNotRead() throws Exception {
    reports = List.of("out/*.xml");
    Ran cancelled = start(new Step("hang", REPORT + "touch started; sleep 30"));
    cancelled.started().get(30, TimeUnit.SECONDS);
    await().atMost(WAIT).pollInterval(FILE_POLL).until(() -> Files.exists(cancelled.workspace().resolve("started")));
    cancelled.runner().stop(JobOutcome.CANCELLED, "cancelled by alice");
    JobRunner.Result stopped = cancelled.result().get(30, TimeUnit.SECONDS);
    assertThat(stopped.outcome()).isEqualTo(JobOutcome.CANCELLED);
    assertThat(stopped.tests()).isNull();
  }

  @Test
  void aSecretTheDroneDoesNotHaveFailsTheJobBeforeAnyStep() throws Exception {
    Ran ran = start(60_000, 2_000, Map.of(), SourceSpec.none(), List.of("MISSING"), new Step("never", "echo ran"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.FAILED);
    assertThat(result.message()).startsWith("secret MISSING is not on this drone (no file ");
    assertThat(Files.readString(ran.log())).doesNotContain("==> [1/1]");
  }

  @Test
  void aFailedWorkspaceIsKeptOutsideTheJobsFolderUntilItExpires() throws Exception {
    Ran ran = start(60_000, 2_000, Map.of(), SourceSpec.none(), List.of(), work.resolve("kept"),
        new Step("fail", "echo evidence > found.txt; exit 1"));
    assertThat(ran.result().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(JobOutcome.FAILED);
    Path kept = work.resolve("kept").resolve(ran.workspace().getFileName());
    await().atMost(WAIT).pollInterval(FILE_POLL).until(() -> Files.exists(kept.resolve("found.txt")));
    assertThat(Files.readString(kept.resolve("found.txt"))).isEqualTo("evidence\n");
    assertThat(Files.readString(ran.log())).contains("==> the workspace is kept for inspection in " + kept);
    assertThat(ran.workspace()).doesNotExist();
    long now = System.currentTimeMillis();
    assertThat(JobRunner.expireKept(work.resolve("kept"), 60_000, now)).as("not yet").isZero();
    assertThat(JobRunner.expireKept(work.resolve("kept"), 60_000, now + 61_000)).isEqualTo(1);
    assertThat(kept).doesNotExist();
  }

  @Test
  void failingStepStopsTheJobAndReportsItsLastLines() throws Exception {
    StringBuilder many = new StringBuilder();
    for (int i = 1; i <= 40; i++) {
      many.append("echo line").append(i).append("; ");
    }
    Ran ran = start(new Step("noisy", many + "exit 7"), new Step("never", "echo should-not-run"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.FAILED);
    assertThat(result.exitCode()).isEqualTo(7);
    assertThat(result.failedStep()).isEqualTo("noisy");
    assertThat(result.logTail()).hasSize(JobRunner.TAIL_LINES).endsWith("line40").startsWith("line11");
    assertThat(Files.readString(ran.log())).doesNotContain("should-not-run").contains("==> exit 7");
  }

  @Test
  void timeoutKillsTheWholeProcessTree() throws Exception {
    Path marker = work.resolve("grandchild.pid");
    Ran ran = start(1_500, 500, Map.of(), SourceSpec.none(),
        new Step("hang", "sh -c 'echo $$ > " + marker + "; sleep 600' & sleep 600"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.TIMED_OUT);
    assertThat(result.failedStep()).isEqualTo("hang");
    long grandchild = Long.parseLong(Files.readString(marker).trim());
    assertThat(running(grandchild)).isFalse();
  }

  @Test
  void cancelSendsTermThenKillsGrandchildrenThatIgnoreIt() throws Exception {
    Path marker = work.resolve("stubborn.pid");
    Ran ran = start(60_000, 700, Map.of(), SourceSpec.none(),
        new Step("stubborn", "sh -c 'trap \"\" TERM; echo $$ > " + marker + "; while true; do sleep 1; done' & wait"));
    ran.started().get(30, TimeUnit.SECONDS);
    await().atMost(WAIT).pollInterval(FILE_POLL).until(() -> Files.exists(marker));
    long stubborn = Long.parseLong(Files.readString(marker).trim());
    long cancelledAt = System.currentTimeMillis();
    ran.runner().stop(JobOutcome.CANCELLED, "cancelled by test");
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.CANCELLED);
    assertThat(System.currentTimeMillis() - cancelledAt).as("waited for the grace period").isGreaterThanOrEqualTo(600);
    assertThat(running(stubborn)).as("SIGKILLed").isFalse();
    assertThat(Files.readString(ran.log())).contains("==> stopped: cancelled by test");
  }

  @Test
  void backgroundProcessesLeftByAStepAreStoppedWhenTheJobEnds() throws Exception {
    Path marker = work.resolve("daemon.pid");
    Ran ran = start(new Step("start daemon", "sh -c 'echo $$ > " + marker + "; exec sleep 600' > /dev/null 2>&1 &"),
        new Step("next", "echo next step"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.SUCCEEDED);
    long daemon = Long.parseLong(Files.readString(marker).trim());
    assertThat(running(daemon)).isFalse();
  }

  @Test
  void directorySourceIsCopiedWithoutTheSwarmsOwnState() throws Exception {
    Path project = Files.createDirectories(work.resolve("project"));
    Files.writeString(project.resolve("hello.txt"), "hi");
    Files.createDirectories(project.resolve(".buildswarm/drone"));
    Files.writeString(project.resolve(".buildswarm/store.mv.db"), "not for jobs");
    Ran ran = start(60_000, 1_000, Map.of(), new SourceSpec(SourceSpec.DIRECTORY, project.toString(), null),
        new Step("look", "cat hello.txt; test ! -e .buildswarm"));
    assertThat(ran.result().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(JobOutcome.SUCCEEDED);
  }

  @Test
  void missingSourceIsAnInfrastructureError() throws Exception {
    Ran ran = start(60_000, 1_000, Map.of(), new SourceSpec(SourceSpec.DIRECTORY, work.resolve("nope").toString(), null),
        new Step("x", "true"));
    JobRunner.Result result = ran.result().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(JobOutcome.INFRA_ERROR);
    assertThat(result.message()).contains("does not exist on this drone");
    assertThat(ran.started()).isNotDone();
  }
}
