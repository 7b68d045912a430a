package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A busy host cannot stall the swarm: {@code swarm up} next to a CPU hog of the test's own, with a
 * CPU guard far stricter than the default, still runs a pipeline promptly — one job at a time while
 * the other waits, saying why — because a drone that runs nothing always takes a job.
 */
class HostGuardSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path work;

  /** Where the hog's arithmetic goes, so it is not optimised away. */
  private static volatile long sink;

  @Test
  void aPipelineRunsPromptlyNextToACpuHogAndTheJobsHeldBackSayWhy() throws Exception {
    // The hog: busy threads of this JVM — other work, as far as the drone can tell — which cannot
    // outlive the test (a process could, if the test died before its finally).
    int burners = 2 * Runtime.getRuntime().availableProcessors();
    java.util.concurrent.atomic.AtomicBoolean burning = new java.util.concurrent.atomic.AtomicBoolean(true);
    long burnUntil = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    List<Thread> hog = new ArrayList<>();
    try {
      for (int i = 0; i < burners; i++) {
        Thread burner = new Thread(() -> {
          long x = System.nanoTime() | 1;
          while (burning.get() && System.nanoTime() < burnUntil) {
            for (int k = 0; k < 1_000_000; k++) {
              x ^= x << 13;
              x ^= x >>> 7;
              x ^= x << 17;
            }
          }
          sink = x;
        }, "cpu-hog-" + i);
        burner.setDaemon(true);
        burner.start();
        hog.add(burner);
      }
      try (SwarmProcess swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--cores", "2",
          "--kill-grace", "1", "--max-cpu-pressure", "20", "--guard-hold", "5")) {
        Api api = new Api(swarm.awaitUrl(TIMEOUT), Files.readString(work.resolve(".buildswarm/admin.token")).trim());
        String reason = awaitDroneReason(api, "CPU pressure from other work");
        assertThat(reason).as("idle: it still takes a job").startsWith("takes one job at a time: CPU pressure from other "
            + "work ");

        Path dir = work.resolve("pair");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(".buildswarm.yml"), """
            jobs:
              left: {steps: ["sleep 5"]}
              right: {steps: ["sleep 5"]}
              after: {needs: [left, right], steps: ["true"]}
            """);
        long started = System.nanoTime();
        try (SwarmProcess run = SwarmProcess.start(work, "run", Map.of(), "run", dir.toString())) {
          long id = Long.parseLong(run.awaitOutput(Pattern.compile("run #(\\d+) of "), TIMEOUT));
          String held = awaitRefusedJob(api, id);
          run.awaitOutput(Pattern.compile("waiting +" + held + " +drone \\S+ takes no new work \\(CPU pressure from "
              + "other work \\d+% > 20%\\)"), TIMEOUT);
          assertThat(run.process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("%s", run.output()).isTrue();
          assertThat(run.process.exitValue()).as("%s", run.output()).isZero();
          assertThat(run.stdout()).contains("succeeded");
        }
        System.out.printf("the pipeline ran in %.1f s next to %d CPU burners%n",
            (System.nanoTime() - started) / 1e9, burners);
      }
    } finally {
      burning.set(false);
      for (Thread burner : hog) {
        burner.join(10_000);
      }
    }
  }

  private static String awaitDroneReason(Api api, String contains) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode drones = null;
    while (System.nanoTime() < deadline) {
      drones = api.get("/api/v1/drones").json().path("drones");
      for (JsonNode drone : drones) {
        if (drone.path("reason").asText().contains(contains)) {
          return drone.path("reason").asText();
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no drone said \"" + contains + "\": " + drones);
  }

  /** The job of the pair that waits on the refusing drone while the other runs. */
  private static String awaitRefusedJob(Api api, long runId) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode jobs = null;
    while (System.nanoTime() < deadline) {
      jobs = api.get("/api/v1/runs/" + runId).json().path("jobs");
      for (JsonNode job : jobs) {
        if (job.path("waiting").path("code").asText().equals("DRONES_REFUSING")) {
          assertThat(job.path("waiting").path("message").asText()).matches("drone \\S+ takes no new work \\(CPU pressure "
              + "from other work \\d+% > 20%\\)");
          return job.path("name").asText();
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no job of run " + runId + " waited on a refusing drone: " + jobs);
  }
}
