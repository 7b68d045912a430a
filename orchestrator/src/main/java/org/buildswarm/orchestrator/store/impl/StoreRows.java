package org.buildswarm.orchestrator.store.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.AttemptTests;
import org.buildswarm.orchestrator.store.DeploymentStatus;
import org.buildswarm.orchestrator.store.DroneStatus;
import org.buildswarm.orchestrator.store.JobDuration;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.NewRun;
import org.buildswarm.orchestrator.store.PipelineText;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.DeploymentView;
import org.buildswarm.protocol.api.EnvironmentView;
import org.buildswarm.protocol.api.EventRecord;
import org.buildswarm.protocol.api.JobTests;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.TestFailure;
import org.buildswarm.protocol.api.TestSummary;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.message.JobCacheResult;
import org.buildswarm.protocol.message.SourceSpec;

/**
 * What both stores put into {@link StoreSql}'s statements and make of the rows they read, written
 * once: each statement's parameters in its order, and each row as the record it stands for. A store
 * only executes — JDBC binds the parameters one by one, the PostgreSQL client takes them as a tuple —
 * and hands its rows over as {@link Columns}.
 */
final class StoreRows {
  private StoreRows() {}

  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};
  private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() {};
  private static final TypeReference<List<TestFailure>> FAILURES = new TypeReference<>() {};

  /** One row of a result, by column name or by position from 0; a SQL NULL reads as null. */
  interface Columns {
    String string(String column);

    String string(int position);

    Long longValue(String column);

    Long longValue(int position);

    Integer integer(String column);

    Integer integer(int position);

    boolean bool(String column);

    boolean bool(int position);
  }

  // --- parameters, in each statement's order ---

  static Object[] run(NewRun run) {
    return new Object[] {run.project(), run.pipelineName(), run.file(), run.pipelineYaml(),
        ProtocolJson.toJson(run.source()), run.trigger().name(), run.requestedBy(), RunState.QUEUED.name(),
        run.createdAt(), run.concurrencyGroup(), run.cancelInProgress(), run.source().branch()};
  }

  static Object[] job(long runId, PlannedJob job) {
    return new Object[] {runId, job.index(), job.name(), ProtocolJson.toJson(job), job.initialState().name(), job.group()};
  }

  static Object[] addedJob(StoredJob job) {
    return new Object[] {job.id(), job.runId(), job.plan().index(), job.plan().name(), ProtocolJson.toJson(job.plan()),
        job.status().state().name(), job.plan().group()};
  }

  static Object[] replannedJob(StoredJob job) {
    return new Object[] {ProtocolJson.toJson(job.plan()), job.id()};
  }

  static Object[] jobStatus(long jobId, JobStatus status) {
    return new Object[] {status.state().name(), status.attempt(), status.token(), status.drone(), status.retriesUsed(),
        status.infraRetriesUsed(), status.exitCode(), status.failedStep(),
        status.logTail().isEmpty() ? null : ProtocolJson.toJson(status.logTail()),
        StoreSql.abbreviatedReason(status.reason()), status.queuedAt(), status.startedAt(), status.finishedAt(),
        status.tests() == null ? null : ProtocolJson.toJson(status.tests()),
        status.cache() == null ? null : ProtocolJson.toJson(status.cache()), jobId};
  }

  static Object[] runStatus(long runId, StateChange change) {
    return new Object[] {change.runStatus().state().name(), change.runStatus().finishedAt(), runId};
  }

  static Object[] event(StateChange change) {
    return new Object[] {change.at(), change.runId(), change.jobId(), change.type().wire(), ProtocolJson.toJson(change.data())};
  }

  /** For {@link StoreSql#INSERT_ATTEMPT}. */
  static Object[] attempt(AttemptStatus attempt) {
    return new Object[] {attempt.jobId(), attempt.attempt(), attempt.token(), attempt.drone(), attempt.assignedAt(),
        attempt.startedAt(), attempt.endedAt(), attempt.outcome(), attempt.exitCode()};
  }

  /** For {@link StoreSql#UPDATE_ATTEMPT}. */
  static Object[] attemptUpdate(AttemptStatus attempt) {
    return new Object[] {attempt.startedAt(), attempt.endedAt(), attempt.outcome(), attempt.exitCode(), attempt.jobId(),
        attempt.attempt()};
  }

  static Object[] drone(DroneStatus drone) {
    return new Object[] {drone.name(), drone.host(), drone.cores(), ProtocolJson.toJson(drone.labels()),
        drone.operatorMode() == null ? null : drone.operatorMode().name(), drone.lastSeenAt()};
  }

  static Object[] testResult(AttemptTests tests) {
    return new Object[] {tests.jobId(), tests.attempt(), ProtocolJson.toJson(tests.results().summary()),
        ProtocolJson.toJson(tests.results().failures()), tests.results().truncated()};
  }

  /** A deploy's history row: a new one (started, or activated without a deploy) or its end. */
  static boolean startsDeployment(DeploymentStatus deployment) {
    return deployment.state() == DeploymentStatus.DeployState.STARTED
        || deployment.state() == DeploymentStatus.DeployState.ACTIVATED;
  }

  /** For {@link StoreSql#INSERT_DEPLOYMENT}. */
  static Object[] deployment(DeploymentStatus deployment) {
    return new Object[] {deployment.project(), deployment.environment(), deployment.runId(), deployment.version(),
        deployment.previousVersion(), deployment.state().name(), deployment.at(),
        deployment.state() == DeploymentStatus.DeployState.ACTIVATED ? deployment.at() : null,
        deployment.requestedBy()};
  }

  /** For {@link StoreSql#END_DEPLOYMENT}. */
  static Object[] deploymentEnd(DeploymentStatus deployment) {
    return new Object[] {deployment.state().name(), deployment.at(), deployment.project(), deployment.environment(),
        deployment.runId()};
  }

  /** For {@link StoreSql#MOVE_POINTER}. */
  static Object[] pointerMove(DeploymentStatus deployment) {
    return new Object[] {deployment.version(), deployment.runId(), deployment.at(), deployment.project(),
        deployment.environment()};
  }

  /** For {@link StoreSql#FIRST_POINTER}. */
  static Object[] firstPointer(DeploymentStatus deployment) {
    return new Object[] {deployment.project(), deployment.environment(), deployment.version(), deployment.runId(),
        deployment.at()};
  }

  // --- rows, as what they stand for ---

  /** A {@code SELECT * FROM runs} row, without its jobs. */
  static StoredRun run(Columns row) {
    return new StoredRun(
        row.longValue("id"),
        row.string("project"),
        row.string("pipeline_name"),
        json(row.string("source_json"), SourceSpec.class),
        Trigger.valueOf(row.string("trigger_kind")),
        row.string("requested_by"),
        row.longValue("created_at"),
        RunState.valueOf(row.string("state")),
        row.longValue("finished_at"),
        List.of(),
        row.string("concurrency_group"),
        row.bool("cancel_in_progress"));
  }

  /** A {@code SELECT * FROM jobs} row. */
  static StoredJob job(Columns row) {
    String tail = row.string("log_tail_json");
    String tests = row.string("tests_json");
    String cache = row.string("cache_json");
    JobStatus status = new JobStatus(
        JobState.valueOf(row.string("state")),
        row.integer("attempt"),
        row.longValue("token"),
        row.string("drone"),
        row.integer("retries_used"),
        row.integer("infra_retries_used"),
        row.integer("exit_code"),
        row.string("failed_step"),
        tail == null ? List.of() : json(tail, STRING_LIST),
        row.string("reason"),
        row.longValue("queued_at"),
        row.longValue("started_at"),
        row.longValue("finished_at"),
        tests == null ? null : json(tests, TestSummary.class),
        cache == null ? null : json(cache, JobCacheResult.class));
    return new StoredJob(row.longValue("id"), row.longValue("run_id"), json(row.string("plan_json"), PlannedJob.class),
        status);
  }

  /** A {@link StoreSql#EVENTS_AFTER} row. */
  static EventRecord event(Columns row) {
    return new EventRecord(row.longValue(0), row.longValue(1), row.longValue(2), row.longValue(3), row.string(4),
        json(row.string(5), JSON_OBJECT));
  }

  /** A {@link StoreSql#ATTEMPTS_OF_JOB} row. */
  static AttemptStatus attempt(Columns row) {
    return new AttemptStatus(row.longValue(0), row.integer(1), row.longValue(2), row.string(3), row.longValue(4),
        row.longValue(5), row.longValue(6), row.string(7), row.integer(8));
  }

  /** A {@link StoreSql#RECENT_DURATIONS} row. */
  static JobDuration duration(Columns row) {
    return new JobDuration(row.string(0), row.string(1), row.longValue(2));
  }

  /** A {@link StoreSql#DRONES} row. */
  static DroneStatus drone(Columns row) {
    String mode = row.string(4);
    return new DroneStatus(row.string(0), row.string(1), row.integer(2), json(row.string(3), STRING_LIST),
        mode == null ? null : DroneMode.valueOf(mode), row.longValue(5));
  }

  /** A {@link StoreSql#LATEST_TEST_RESULT} or {@link StoreSql#TEST_RESULT_OF_ATTEMPT} row. */
  static JobTests testResult(long jobId, Columns row) {
    return new JobTests(jobId, row.integer(0), json(row.string(1), TestSummary.class), json(row.string(2), FAILURES),
        row.bool(3));
  }

  /** A {@link StoreSql#ENVIRONMENTS} row, without what is deploying to it and without history. */
  static EnvironmentView environment(Columns row) {
    return new EnvironmentView(row.string(0), row.string(1), row.string(2), row.longValue(3), row.string(4),
        row.longValue(5), null, row.longValue(6), List.of());
  }

  /** A {@link StoreSql#STARTED_DEPLOYMENTS} row. */
  static DeploymentView startedDeployment(Columns row) {
    return new DeploymentView(0, row.string(0), row.string(1), row.longValue(2), "", null, "STARTED", row.longValue(3),
        null, null);
  }

  /** A {@link StoreSql#DEPLOYMENTS_OF_ENVIRONMENT} row. */
  static DeploymentView deployment(Columns row) {
    return new DeploymentView(row.longValue(0), row.string(1), row.string(2), row.longValue(3), row.string(4),
        row.string(5), row.string(6), row.longValue(7), row.longValue(8), row.string(9));
  }

  /** A {@link StoreSql#TOKENS} row. */
  static TokenSummary token(Columns row) {
    return new TokenSummary(row.string(0), Role.valueOf(row.string(1)), row.longValue(2));
  }

  /** A {@link StoreSql#TOKEN_BY_HASH} row. */
  static TokenInfo tokenInfo(Columns row) {
    return new TokenInfo(row.string(0), Role.valueOf(row.string(1)));
  }

  /** A {@code SELECT * FROM runs} row's pipeline file. */
  static PipelineText pipeline(Columns row) {
    StoredRun run = run(row);
    return new PipelineText(run.project(), row.string("pipeline_file"), row.string("pipeline_yaml"), run.source());
  }

  /** The runs with their jobs ({@link StoreSql#JOBS_OF_RUNS}'s rows), in the runs' order. */
  static List<StoredRun> withJobs(List<StoredRun> runs, List<StoredJob> jobs) {
    Map<Long, List<StoredJob>> jobsByRun = new HashMap<>();
    for (StoredJob job : jobs) {
      jobsByRun.computeIfAbsent(job.runId(), id -> new ArrayList<>()).add(job);
    }
    List<StoredRun> withJobs = new ArrayList<>(runs.size());
    for (StoredRun run : runs) {
      withJobs.add(run.withJobs(jobsByRun.getOrDefault(run.id(), List.of())));
    }
    return withJobs;
  }

  /** The runs' ids, for an array parameter. */
  static Long[] ids(List<StoredRun> runs) {
    return runs.stream().map(StoredRun::id).toArray(Long[]::new);
  }

  /** A {@link StoreSql#JOB_COUNTS_OF_RUNS} row. */
  record JobCount(long runId, JobState state, long count) {}

  static JobCount jobCount(Columns row) {
    return new JobCount(row.longValue(0), JobState.valueOf(row.string(1)), row.longValue(2));
  }

  /** The runs of a page, and where the next page starts (null on the last). */
  record Listed(List<StoredRun> runs, Long nextBefore) {}

  /** {@link StoreSql#runPage} reads one run more than the page holds, to know whether another page follows. */
  static Listed listed(RunQuery query, List<StoredRun> found) {
    if (found.size() <= query.limit()) {
      return new Listed(found, null);
    }
    List<StoredRun> page = found.subList(0, query.limit());
    return new Listed(page, page.get(page.size() - 1).id());
  }

  static RunPage page(Listed listed, List<JobCount> counts) {
    Map<Long, Map<JobState, Integer>> byRun = new HashMap<>();
    for (JobCount count : counts) {
      byRun.computeIfAbsent(count.runId(), id -> new EnumMap<>(JobState.class)).put(count.state(), (int) count.count());
    }
    List<RunSummary> summaries = new ArrayList<>(listed.runs().size());
    for (StoredRun run : listed.runs()) {
      summaries.add(new RunSummary(run.id(), run.project(), run.pipelineName(), run.state(), run.trigger(),
          run.requestedBy(), run.createdAt(), run.finishedAt(), byRun.getOrDefault(run.id(), Map.of()), run.source()));
    }
    return new RunPage(summaries, listed.nextBefore());
  }

  /** A project's two-column rows (ref → sha, schedule → last fire) as a sorted map. */
  static <V> Map<String, V> sortedMap(List<Map.Entry<String, V>> rows) {
    Map<String, V> map = new TreeMap<>();
    rows.forEach(row -> map.put(row.getKey(), row.getValue()));
    return map;
  }

  static <T> T json(String text, Class<T> type) {
    try {
      return ProtocolJson.mapper().readValue(text, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable " + type.getSimpleName() + " in the store: " + e.getMessage(), e);
    }
  }

  static <T> T json(String text, TypeReference<T> type) {
    try {
      return ProtocolJson.mapper().readValue(text, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable JSON in the store: " + e.getMessage(), e);
    }
  }
}
