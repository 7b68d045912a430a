package org.buildswarm.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.orchestrator.plan.RunPlan;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.CreatedRun;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.NewRun;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.impl.H2Stores;
import org.buildswarm.orchestrator.store.impl.PgStore;
import org.buildswarm.orchestrator.store.impl.PgStoreOptions;
import org.buildswarm.orchestrator.testing.PostgresServer;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.pipeline.PipelineReader;

/**
 * Run submissions per second and events appended per second, on the embedded H2 file and on a
 * real PostgreSQL server (durable defaults: fsync and synchronous commit on), side by side in one
 * run. Submissions are stored as the orchestrator stores them (a run with 10 jobs and its event in
 * one transaction), 8 in flight; events are appended as the journal appends them (batches of 100,
 * one after the other, each event updating its job's row and its attempt's row).
 */
public final class StoreBenchmark {
  private static final int SUBMISSIONS = 1_000;
  private static final int IN_FLIGHT = 8;
  private static final int EVENTS = 50_000;
  private static final int BATCH = 100;

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    Path h2 = Files.createTempDirectory("buildswarm-bench-h2-");
    try (PostgresServer postgres = PostgresServer.start(true)) {
      Result onH2 = measure(vertx, H2Stores.inDirectory(vertx, h2), "H2 (embedded file)");
      Result onPg = measure(vertx, new PgStore(vertx, new PgStoreOptions(postgres.host(), postgres.port(),
          PostgresServer.USER, PostgresServer.USER, null, 8)), "PostgreSQL 15 (local, fsync on)");
      System.out.printf(Locale.ROOT, "%-32s %16s %16s%n", "store", "submissions/s", "events/s");
      for (Result result : List.of(onH2, onPg)) {
        System.out.printf(Locale.ROOT, "%-32s %16.0f %16.0f%n", result.name(), result.submissionsPerSecond(),
            result.eventsPerSecond());
      }
      System.out.printf(Locale.ROOT, "PostgreSQL / H2: submissions %.2f, events %.2f%n",
          onPg.submissionsPerSecond() / onH2.submissionsPerSecond(), onPg.eventsPerSecond() / onH2.eventsPerSecond());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
      try (var files = Files.walk(h2)) {
        for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  private record Result(String name, double submissionsPerSecond, double eventsPerSecond) {}

  private static Result measure(Vertx vertx, Store store, String name) throws Exception {
    await(store.start());
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < 10; i++) {
      yaml.append("  j").append(i).append(": {").append(i > 0 ? "needs: j" + (i - 1) + ", " : "").append("steps: [make]}\n");
    }
    RunPlan plan = new Planner(PlannerOptions.defaults()).plan(new PipelineReader().read(".buildswarm.yml", yaml.toString()));
    NewRun run = new NewRun("bench", plan.pipelineName(), ".buildswarm.yml", yaml.toString(), SourceSpec.none(),
        Trigger.PUSH, "bench", System.currentTimeMillis(), plan.jobs());
    submit(store, run, 100); // warm-up
    long start = System.nanoTime();
    List<CreatedRun> created = submit(store, run, SUBMISSIONS);
    double submissions = SUBMISSIONS / seconds(start);

    List<Long> jobIds = new ArrayList<>();
    created.forEach(c -> jobIds.addAll(c.jobIds()));
    appendEvents(store, created, jobIds, 2_000); // warm-up
    start = System.nanoTime();
    appendEvents(store, created, jobIds, EVENTS);
    double events = EVENTS / seconds(start);
    await(store.close());
    return new Result(name, submissions, events);
  }

  private static List<CreatedRun> submit(Store store, NewRun run, int count) throws Exception {
    List<CreatedRun> created = new ArrayList<>(count);
    List<Future<CreatedRun>> inFlight = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inFlight.add(store.createRun(run));
      if (inFlight.size() == IN_FLIGHT) {
        for (Future<CreatedRun> future : inFlight) {
          created.add(await(future));
        }
        inFlight.clear();
      }
    }
    for (Future<CreatedRun> future : inFlight) {
      created.add(await(future));
    }
    return created;
  }

  private static void appendEvents(Store store, List<CreatedRun> runs, List<Long> jobIds, int count) throws Exception {
    long token = System.nanoTime();
    for (int written = 0; written < count; written += BATCH) {
      List<StateChange> batch = new ArrayList<>(BATCH);
      for (int i = 0; i < BATCH; i++) {
        int n = written + i;
        long job = jobIds.get(n % jobIds.size());
        long runId = runs.get((n % jobIds.size()) / 10).runId();
        JobStatus status = new JobStatus(JobState.RUNNING, 1 + n / jobIds.size(), token + n, "drone-" + (n % 7), 0, 0,
            null, null, List.of(), null, 1L, 2L, null);
        batch.add(StateChange.of(n, runId, job, EventType.JOB_STARTED, Map.of("drone", "drone-" + (n % 7)))
            .withJob(status)
            .withAttempt(new AttemptStatus(job, 1 + n / jobIds.size(), token + n, "drone-" + (n % 7), n, (long) n, null, null, null)));
      }
      await(store.append(batch));
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  private StoreBenchmark() {}
}
