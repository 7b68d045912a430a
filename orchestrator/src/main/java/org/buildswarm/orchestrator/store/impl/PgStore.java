package org.buildswarm.orchestrator.store.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.AttemptTests;
import org.buildswarm.orchestrator.store.CreatedRun;
import org.buildswarm.orchestrator.store.DeploymentStatus;
import org.buildswarm.orchestrator.store.JobDuration;
import org.buildswarm.orchestrator.store.DroneStatus;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.NewRun;
import org.buildswarm.orchestrator.store.PipelineText;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.DeploymentView;
import org.buildswarm.protocol.api.EnvironmentView;
import org.buildswarm.protocol.api.EventRecord;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.api.JobTests;
import org.buildswarm.protocol.api.TestFailure;
import org.buildswarm.protocol.api.TestSummary;
import org.buildswarm.protocol.message.SourceSpec;
import org.flywaydb.core.Flyway;

/**
 * The production store: PostgreSQL through the reactive vertx-pg-client (no thread waits on the
 * database). The schema is migrated with Flyway over JDBC once at start, on a worker thread. The
 * pool reconnects by itself after a database restart; calls made while it is down fail (the API
 * answers 503) and nothing already acknowledged is lost.
 */
public final class PgStore implements Store {
  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};
  private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() {};
  private static final TypeReference<List<TestFailure>> FAILURES = new TypeReference<>() {};

  private static final String REPLACE_TEST_RESULT = Dialect.POSTGRESQL.replace(StoreSql.TEST_RESULT_ROWS);
  private static final String REPLACE_DRONE = Dialect.POSTGRESQL.replace(StoreSql.DRONE_ROWS);
  private static final String REPLACE_DISCOVERED_HEAD = Dialect.POSTGRESQL.replace(StoreSql.DISCOVERED_HEAD_ROWS);
  private static final String REPLACE_SCHEDULE_FIRE = Dialect.POSTGRESQL.replace(StoreSql.SCHEDULE_FIRE_ROWS);
  private static final String INSERT_TOKEN = Dialect.POSTGRESQL.insertUnlessPresent(StoreSql.TOKEN_ROWS);
  private static final String INSERT_DELIVERY = Dialect.POSTGRESQL.insertUnlessPresent(StoreSql.DELIVERY_ROWS);
  /** H2 updates an attempt and inserts it if there was none; here one statement does both. */
  private static final String WRITE_ATTEMPT = Dialect.POSTGRESQL.sql(StoreSql.INSERT_ATTEMPT)
      + " ON CONFLICT (job_id, attempt) DO UPDATE SET"
      + " started_at = COALESCE(EXCLUDED.started_at, attempts.started_at),"
      + " ended_at = COALESCE(EXCLUDED.ended_at, attempts.ended_at),"
      + " outcome = COALESCE(EXCLUDED.outcome, attempts.outcome),"
      + " exit_code = COALESCE(EXCLUDED.exit_code, attempts.exit_code)";
  /** H2 moves a pointer and inserts the first one if there was none; here one statement does both. */
  private static final String WRITE_POINTER = Dialect.POSTGRESQL.sql(StoreSql.FIRST_POINTER)
      + " ON CONFLICT (project, name) DO UPDATE SET"
      + " previous_version = environments.current_version, previous_run = environments.current_run,"
      + " current_version = EXCLUDED.current_version, current_run = EXCLUDED.current_run,"
      + " updated_at = EXCLUDED.updated_at";

  /** How long {@link #close()} waits for operations already under way before closing the pool anyway. */
  private static final long CLOSE_WAIT_MS = 10_000;

  private final Vertx vertx;
  private final PgStoreOptions options;
  private Pool pool;
  private final Fence fence = new Fence();
  /** {@link StoreSql}'s statements with numbered parameters, each numbered once. */
  private final Map<String, String> numbered = new java.util.concurrent.ConcurrentHashMap<>();

  public PgStore(Vertx vertx, PgStoreOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  /** One of {@link StoreSql}'s statements as PostgreSQL writes its parameters. */
  private String sql(String portable) {
    return numbered.computeIfAbsent(portable, Dialect.POSTGRESQL::sql);
  }

  /** The connection pool (after {@link #start()}), for the leader lock of a highly available orchestrator. */
  public Pool pool() {
    return pool;
  }

  public PgStoreOptions options() {
    return options;
  }

  @Override
  public Future<Void> start() {
    return vertx.<Void>executeBlocking(() -> {
      Flyway.configure(PgStore.class.getClassLoader())
          .dataSource(options.jdbcUrl(), options.user(), options.password())
          .locations(Migrations.locations("postgresql"))
          .failOnMissingLocations(true)
          .load()
          .migrate();
      return null;
    }).map(v -> {
      pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(options.poolSize()).setName("buildswarm-store"))
          .connectingTo(options.connectOptions())
          .using(vertx)
          .build();
      return null;
    });
  }

  @Override
  public Future<Void> close() {
    if (pool == null) {
      return Future.succeededFuture();
    }
    Pool closing = pool;
    // Holding every connection means every operation asked for before this has finished (the pool
    // serves waiters in order); what is asked for later waits behind us and fails when the pool closes.
    List<Future<SqlConnection>> held = new ArrayList<>();
    for (int i = 0; i < options.poolSize(); i++) {
      held.add(closing.getConnection());
    }
    Promise<Void> settled = Promise.promise();
    long timer = vertx.setTimer(CLOSE_WAIT_MS, id -> settled.tryComplete());
    Future.join(held).onComplete(all -> {
      vertx.cancelTimer(timer);
      settled.tryComplete();
    });
    return settled.future().eventually(closing::close);
  }

  @Override
  public String description() {
    return "PostgreSQL " + options.user() + "@" + options.host() + ":" + options.port() + "/" + options.database();
  }

  @Override
  public Future<String> identity() {
    String made = java.util.UUID.randomUUID().toString();
    return pool.withTransaction(connection -> connection
        .preparedQuery(sql(StoreSql.MAKE_IDENTITY_ONCE))
        .execute(Tuple.of(made, System.currentTimeMillis()))
        .compose(inserted -> connection.query(StoreSql.IDENTITY).execute())
        .map(rows -> rows.iterator().next().getString(0)));
  }

  @Override
  public Future<Long> beginEpoch(String holder) {
    return pool.withTransaction(connection -> connection
        .query(StoreSql.NEXT_EPOCH).execute()
        .compose(rows -> {
          long epoch = rows.iterator().next().getLong(0);
          return connection.preparedQuery(sql(StoreSql.INSERT_EPOCH))
              .execute(Tuple.of(epoch, holder, System.currentTimeMillis()))
              .map(done -> epoch);
        }))
        .onSuccess(fence::begun);
  }

  /** Fails the transaction if another orchestrator began a newer epoch (the fence behind the leader lock). */
  private Future<Void> checkFence(SqlConnection connection) {
    if (!fence.armed()) {
      return Future.succeededFuture();
    }
    return connection.query(StoreSql.NEWEST_EPOCH).execute()
        .map(rows -> {
          fence.check(rows.iterator().next().getLong(0));
          return null;
        });
  }

  @Override
  public Future<CreatedRun> createRun(NewRun run) {
    return pool.withTransaction(connection -> checkFence(connection).compose(fenced -> connection.preparedQuery(
            Dialect.POSTGRESQL.returningId(StoreSql.INSERT_RUN))
        .execute(Tuple.from(new Object[] {run.project(), run.pipelineName(), run.file(), run.pipelineYaml(),
            ProtocolJson.toJson(run.source()), run.trigger().name(), run.requestedBy(), RunState.QUEUED.name(),
            run.createdAt(), run.concurrencyGroup(), run.cancelInProgress(), run.source().branch()}))
        .compose(rows -> {
          long runId = rows.iterator().next().getLong(0);
          List<Tuple> jobs = new ArrayList<>(run.jobs().size());
          for (PlannedJob job : run.jobs()) {
            jobs.add(Tuple.of(runId, job.index(), job.name(), ProtocolJson.toJson(job),
                job.initialState().name(), job.group()));
          }
          Future<List<Long>> jobIds = jobs.isEmpty() ? Future.succeededFuture(List.of()) : connection.preparedQuery(
                  Dialect.POSTGRESQL.returningId(StoreSql.INSERT_JOB))
              .executeBatch(jobs)
              .map(PgStore::batchIds);
          return jobIds.compose(ids -> insertEvents(connection, List.of(run.createdEvent(runId)))
              .map(done -> new CreatedRun(runId, ids)));
        })));
  }

  private static List<Long> batchIds(RowSet<Row> rows) {
    List<Long> ids = new ArrayList<>();
    for (RowSet<Row> result = rows; result != null; result = result.next()) {
      for (Row row : result) {
        ids.add(row.getLong(0));
      }
    }
    return ids;
  }

  @Override
  public Future<Void> append(List<StateChange> changes) {
    if (changes.isEmpty()) {
      return Future.succeededFuture();
    }
    LatestStatuses latest = LatestStatuses.of(changes);
    List<Tuple> jobUpdates = new ArrayList<>(latest.jobs().size());
    latest.jobs().forEach((id, status) -> jobUpdates.add(jobStatusTuple(status, id)));
    List<Tuple> runUpdates = new ArrayList<>(latest.runs().size());
    latest.runs().forEach((id, change) -> runUpdates.add(Tuple.of(change.runStatus().state().name(),
        change.runStatus().finishedAt(), id)));
    return pool.withTransaction(connection -> checkFence(connection)
        .compose(fenced -> insertEvents(connection, changes))
        .compose(v -> writeAddedJobs(connection, changes))
        .compose(v -> jobUpdates.isEmpty() ? Future.succeededFuture()
            : connection.preparedQuery(sql(StoreSql.UPDATE_JOB)).executeBatch(jobUpdates).mapEmpty())
        .compose(v -> runUpdates.isEmpty() ? Future.succeededFuture()
            : connection.preparedQuery(sql(StoreSql.UPDATE_RUN))
                .executeBatch(runUpdates).mapEmpty())
        .compose(v -> writeAttemptsAndDrones(connection, changes))
        .compose(v -> writeDeployments(connection, changes))
        .compose(v -> writeTestResults(connection, changes))
        .mapEmpty());
  }

  /** Each attempt's test results; a resent report's replace the first (they are the same). */
  private static Future<Void> writeTestResults(SqlConnection connection, List<StateChange> changes) {
    List<Tuple> rows = new ArrayList<>();
    for (StateChange change : changes) {
      AttemptTests tests = change.tests();
      if (tests != null) {
        rows.add(Tuple.of(tests.jobId(), tests.attempt(), ProtocolJson.toJson(tests.results().summary()),
            ProtocolJson.toJson(tests.results().failures()), tests.results().truncated()));
      }
    }
    return rows.isEmpty() ? Future.succeededFuture() : connection.preparedQuery(REPLACE_TEST_RESULT)
        .executeBatch(rows).mapEmpty();
  }

  @Override
  public Future<Optional<JobTests>> testResults(long jobId, Integer attempt) {
    return pool.preparedQuery(sql(attempt == null ? StoreSql.LATEST_TEST_RESULT : StoreSql.TEST_RESULT_OF_ATTEMPT)).execute(attempt == null ? Tuple.of(jobId) : Tuple.of(jobId, attempt))
        .map(rows -> {
          if (!rows.iterator().hasNext()) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new JobTests(jobId, row.getInteger(0), json(row.getString(1), TestSummary.class),
              json(row.getString(2), FAILURES), Boolean.TRUE.equals(row.getBoolean(3))));
        });
  }

  /** Jobs a job set added (inserted before any status of theirs is applied) and plans that now need them. */
  private Future<Void> writeAddedJobs(SqlConnection connection, List<StateChange> changes) {
    List<Tuple> inserts = new ArrayList<>();
    List<Tuple> replans = new ArrayList<>();
    for (StateChange change : changes) {
      for (StoredJob job : change.addedJobs()) {
        inserts.add(Tuple.of(job.id(), job.runId(), job.plan().index(), job.plan().name(), ProtocolJson.toJson(job.plan()),
            job.status().state().name(), job.plan().group()));
      }
      for (StoredJob job : change.replannedJobs()) {
        replans.add(Tuple.of(ProtocolJson.toJson(job.plan()), job.id()));
      }
    }
    Future<Void> inserted = inserts.isEmpty() ? Future.succeededFuture()
        : connection.preparedQuery(sql(StoreSql.INSERT_ADDED_JOB)).executeBatch(inserts).mapEmpty();
    return inserted.compose(v -> replans.isEmpty() ? Future.succeededFuture()
        : connection.preparedQuery(sql(StoreSql.UPDATE_JOB_PLAN)).executeBatch(replans).mapEmpty());
  }

  /** Deploy history rows and environment pointers, one change after another, in order. */
  private Future<Void> writeDeployments(SqlConnection connection, List<StateChange> changes) {
    Future<Void> written = Future.succeededFuture();
    for (StateChange change : changes) {
      DeploymentStatus deployment = change.deployment();
      if (deployment == null) {
        continue;
      }
      written = written.compose(v -> writeDeployment(connection, deployment));
    }
    return written;
  }

  private Future<Void> writeDeployment(SqlConnection connection, DeploymentStatus deployment) {
    Future<Void> history;
    if (deployment.state() == DeploymentStatus.DeployState.STARTED
        || deployment.state() == DeploymentStatus.DeployState.ACTIVATED) {
      history = connection.preparedQuery(sql(StoreSql.INSERT_DEPLOYMENT))
          .execute(Tuple.from(new Object[] {deployment.project(), deployment.environment(), deployment.runId(),
              deployment.version(), deployment.previousVersion(), deployment.state().name(), deployment.at(),
              deployment.state() == DeploymentStatus.DeployState.ACTIVATED ? deployment.at() : null,
              deployment.requestedBy()}))
          .mapEmpty();
    } else {
      history = connection.preparedQuery(sql(StoreSql.END_DEPLOYMENT))
          .execute(Tuple.of(deployment.state().name(), deployment.at(), deployment.project(), deployment.environment(),
              deployment.runId()))
          .mapEmpty();
    }
    if (!deployment.state().movesPointer()) {
      return history;
    }
    return history.compose(v -> connection.preparedQuery(WRITE_POINTER)
        .execute(Tuple.of(deployment.project(), deployment.environment(), deployment.version(), deployment.runId(),
            deployment.at()))
        .mapEmpty());
  }

  @Override
  public Future<List<EnvironmentView>> environments() {
    return pool.query(StoreSql.ENVIRONMENTS).execute()
        .compose(rows -> {
          List<EnvironmentView> environments = new ArrayList<>();
          for (Row row : rows) {
            environments.add(new EnvironmentView(row.getString(0), row.getString(1), row.getString(2), row.getLong(3),
                row.getString(4), row.getLong(5), null, row.getLong(6), List.of()));
          }
          return pool.query(StoreSql.STARTED_DEPLOYMENTS).execute().map(deploying -> {
                List<DeploymentView> started = new ArrayList<>();
                for (Row row : deploying) {
                  started.add(new DeploymentView(0, row.getString(0), row.getString(1), row.getLong(2), "", null,
                      "STARTED", row.getLong(3), null, null));
                }
                return EnvironmentView.withDeploying(environments, started);
              });
        });
  }

  @Override
  public Future<List<DeploymentView>> deployments(String project, String environment, int limit) {
    return pool.preparedQuery(sql(StoreSql.DEPLOYMENTS_OF_ENVIRONMENT))
        .execute(Tuple.of(project, environment, limit))
        .map(rows -> {
          List<DeploymentView> history = new ArrayList<>();
          for (Row row : rows) {
            history.add(new DeploymentView(row.getLong(0), row.getString(1), row.getString(2), row.getLong(3),
                row.getString(4), row.getString(5), row.getString(6), row.getLong(7), row.getLong(8), row.getString(9)));
          }
          return history;
        });
  }

  /** Attempts are opened, updated and closed in order; a drone row is replaced by its latest. */
  private static Future<Void> writeAttemptsAndDrones(SqlConnection connection, List<StateChange> changes) {
    List<Tuple> attempts = new ArrayList<>();
    List<Tuple> drones = new ArrayList<>();
    for (AttemptStatus attempt : AttemptStatus.latest(changes)) {
      attempts.add(Tuple.from(new Object[] {attempt.jobId(), attempt.attempt(), attempt.token(), attempt.drone(),
          attempt.assignedAt(), attempt.startedAt(), attempt.endedAt(), attempt.outcome(), attempt.exitCode()}));
    }
    for (StateChange change : changes) {
      DroneStatus drone = change.drone();
      if (drone != null) {
        drones.add(Tuple.of(drone.name(), drone.host(), drone.cores(), ProtocolJson.toJson(drone.labels()),
            drone.operatorMode() == null ? null : drone.operatorMode().name(), drone.lastSeenAt()));
      }
    }
    Future<Void> written = attempts.isEmpty() ? Future.succeededFuture()
        : connection.preparedQuery(WRITE_ATTEMPT).executeBatch(attempts).mapEmpty();
    return written.compose(v -> drones.isEmpty() ? Future.succeededFuture()
        : connection.preparedQuery(REPLACE_DRONE).executeBatch(drones).mapEmpty());
  }

  @Override
  public Future<List<AttemptStatus>> attempts(long jobId) {
    return pool.preparedQuery(sql(StoreSql.ATTEMPTS_OF_JOB))
        .execute(Tuple.of(jobId))
        .map(rows -> {
          List<AttemptStatus> attempts = new ArrayList<>();
          for (Row row : rows) {
            attempts.add(new AttemptStatus(row.getLong(0), row.getInteger(1), row.getLong(2), row.getString(3),
                row.getLong(4), row.getLong(5), row.getLong(6), row.getString(7), row.getInteger(8)));
          }
          return attempts;
        });
  }

  @Override
  public Future<List<JobDuration>> recentDurations(int limit) {
    return pool.preparedQuery(sql(StoreSql.RECENT_DURATIONS))
        .execute(Tuple.of(limit))
        .map(rows -> {
          List<JobDuration> durations = new ArrayList<>();
          for (Row row : rows) {
            durations.add(new JobDuration(row.getString(0), row.getString(1), row.getLong(2)));
          }
          java.util.Collections.reverse(durations);
          return durations;
        });
  }

  @Override
  public Future<List<DroneStatus>> drones() {
    return pool.query(StoreSql.DRONES)
        .execute()
        .map(rows -> {
          List<DroneStatus> drones = new ArrayList<>();
          for (Row row : rows) {
            String mode = row.getString(4);
            drones.add(new DroneStatus(row.getString(0), row.getString(1), row.getInteger(2), json(row.getString(3), STRING_LIST),
                mode == null ? null : org.buildswarm.protocol.DroneMode.valueOf(mode), row.getLong(5)));
          }
          return drones;
        });
  }

  private Future<Void> insertEvents(SqlConnection connection, List<StateChange> changes) {
    List<Tuple> events = new ArrayList<>(changes.size());
    for (StateChange change : changes) {
      events.add(Tuple.of(change.at(), change.runId(), change.jobId(), change.type(), ProtocolJson.toJson(change.data())));
    }
    return connection.preparedQuery(sql(StoreSql.INSERT_EVENT))
        .executeBatch(events).mapEmpty();
  }

  private static Tuple jobStatusTuple(JobStatus status, long jobId) {
    String reason = StoreSql.abbreviatedReason(status.reason());
    return Tuple.from(new Object[] {status.state().name(), status.attempt(), status.token(), status.drone(),
        status.retriesUsed(), status.infraRetriesUsed(), status.exitCode(), status.failedStep(),
        status.logTail().isEmpty() ? null : ProtocolJson.toJson(status.logTail()), reason, status.queuedAt(),
        status.startedAt(), status.finishedAt(), status.tests() == null ? null : ProtocolJson.toJson(status.tests()),
        status.cache() == null ? null : ProtocolJson.toJson(status.cache()), jobId});
  }

  @Override
  public Future<List<StoredRun>> loadActiveRuns() {
    return pool.withConnection(connection -> connection
        .query(StoreSql.ACTIVE_RUNS).execute()
        .compose(runs -> {
          List<StoredRun> found = new ArrayList<>();
          for (Row row : runs) {
            found.add(readRun(row, List.of()));
          }
          return withJobs(connection, found);
        }));
  }

  @Override
  public Future<Optional<StoredRun>> findRun(long runId) {
    return pool.withConnection(connection -> connection.preparedQuery(sql(StoreSql.RUN))
        .execute(Tuple.of(runId))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(Optional.<StoredRun>empty());
          }
          return withJobs(connection, List.of(readRun(rows.iterator().next(), List.of())))
              .map(list -> Optional.of(list.get(0)));
        }));
  }

  @Override
  public Future<Optional<PipelineText>> findPipeline(long runId) {
    return pool.preparedQuery(sql(StoreSql.RUN)).execute(Tuple.of(runId)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.<PipelineText>empty();
      }
      Row row = rows.iterator().next();
      StoredRun run = readRun(row, List.of());
      return Optional.of(new PipelineText(run.project(), row.getString("pipeline_file"), row.getString("pipeline_yaml"),
          run.source()));
    });
  }

  private Future<List<StoredRun>> withJobs(SqlConnection connection, List<StoredRun> runs) {
    if (runs.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Long[] ids = runs.stream().map(StoredRun::id).toArray(Long[]::new);
    return connection.preparedQuery(sql(StoreSql.JOBS_OF_RUNS))
        .execute(Tuple.of(ids))
        .map(rows -> {
          Map<Long, List<StoredJob>> jobsByRun = new HashMap<>();
          for (Row row : rows) {
            StoredJob job = readJob(row);
            jobsByRun.computeIfAbsent(job.runId(), id -> new ArrayList<>()).add(job);
          }
          List<StoredRun> result = new ArrayList<>(runs.size());
          for (StoredRun run : runs) {
            result.add(run.withJobs(jobsByRun.getOrDefault(run.id(), List.of())));
          }
          return result;
        });
  }

  @Override
  public Future<RunPage> listRuns(RunQuery query) {
    // Not cached: a page's statement depends on its filters.
    String page = Dialect.POSTGRESQL.sql(StoreSql.runPage(query));
    Tuple parameters = Tuple.from(StoreSql.runPageParameters(query));
    return pool.withConnection(connection -> connection.preparedQuery(page).execute(parameters).compose(rows -> {
      List<StoredRun> runs = new ArrayList<>();
      for (Row row : rows) {
        runs.add(readRun(row, List.of()));
      }
      Long next = null;
      if (runs.size() > query.limit()) {
        runs = runs.subList(0, query.limit());
        next = runs.get(runs.size() - 1).id();
      }
      List<StoredRun> listed = runs;
      Long nextBefore = next;
      if (listed.isEmpty()) {
        return Future.succeededFuture(new RunPage(List.of(), null));
      }
      Long[] ids = listed.stream().map(StoredRun::id).toArray(Long[]::new);
      return connection.preparedQuery(sql(StoreSql.JOB_COUNTS_OF_RUNS))
          .execute(Tuple.of(ids))
          .map(counts -> {
            Map<Long, Map<JobState, Integer>> byRun = new HashMap<>();
            for (Row row : counts) {
              byRun.computeIfAbsent(row.getLong(0), id -> new EnumMap<>(JobState.class))
                  .put(JobState.valueOf(row.getString(1)), row.getLong(2).intValue());
            }
            List<RunSummary> summaries = new ArrayList<>(listed.size());
            for (StoredRun run : listed) {
              summaries.add(new RunSummary(run.id(), run.project(), run.pipelineName(), run.state(), run.trigger(),
                  run.requestedBy(), run.createdAt(), run.finishedAt(), byRun.getOrDefault(run.id(), Map.of()), run.source()));
            }
            return new RunPage(summaries, nextBefore);
          });
    }));
  }

  @Override
  public Future<List<EventRecord>> events(long runId, long afterSeq, int limit) {
    return pool.preparedQuery(sql(StoreSql.EVENTS_AFTER))
        .execute(Tuple.of(runId, afterSeq, limit))
        .map(rows -> {
          List<EventRecord> events = new ArrayList<>();
          for (Row row : rows) {
            events.add(new EventRecord(row.getLong(0), row.getLong(1), row.getLong(2), row.getLong(3), row.getString(4),
                json(row.getString(5), JSON_OBJECT)));
          }
          return events;
        });
  }

  @Override
  public Future<Boolean> saveToken(String tokenSha256, String name, Role role) {
    return pool.preparedQuery(INSERT_TOKEN)
        .execute(Tuple.of(tokenSha256, name, role.name(), System.currentTimeMillis()))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Map<String, String>> discoveredHeads(String project) {
    return projectMap(StoreSql.DISCOVERED_HEADS, project, row -> row.getString(1));
  }

  /** One project's rows of a two-column query, as a sorted map from the first column to the second. */
  private <V> Future<Map<String, V>> projectMap(String portable, String project, java.util.function.Function<Row, V> value) {
    return pool.preparedQuery(sql(portable)).execute(Tuple.of(project)).map(rows -> {
      Map<String, V> map = new java.util.TreeMap<>();
      rows.forEach(row -> map.put(row.getString(0), value.apply(row)));
      return map;
    });
  }

  @Override
  public Future<Void> saveDiscoveredHead(String project, String ref, String sha) {
    return pool.preparedQuery(REPLACE_DISCOVERED_HEAD)
        .execute(Tuple.of(project, ref, sha, System.currentTimeMillis()))
        .mapEmpty();
  }

  @Override
  public Future<Map<String, Long>> scheduleFires(String project) {
    return projectMap(StoreSql.SCHEDULE_FIRES, project,
        row -> row.getLong(1));
  }

  @Override
  public Future<Void> saveScheduleFire(String project, String expression, long firedAt) {
    return pool.preparedQuery(REPLACE_SCHEDULE_FIRE)
        .execute(Tuple.of(project, expression, firedAt))
        .mapEmpty();
  }

  @Override
  public Future<Boolean> recordDelivery(String deliveryId) {
    return pool.preparedQuery(INSERT_DELIVERY)
        .execute(Tuple.of(deliveryId, System.currentTimeMillis()))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<List<TokenSummary>> listTokens() {
    return pool.query(StoreSql.TOKENS).execute()
        .map(rows -> {
          List<TokenSummary> tokens = new ArrayList<>();
          rows.forEach(row -> tokens.add(new TokenSummary(row.getString(0), Role.valueOf(row.getString(1)), row.getLong(2))));
          return tokens;
        });
  }

  @Override
  public Future<Boolean> deleteToken(String name) {
    return pool.preparedQuery(sql(StoreSql.DELETE_TOKEN))
        .execute(Tuple.of(name))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Optional<TokenInfo>> findToken(String tokenSha256) {
    return pool.preparedQuery(sql(StoreSql.TOKEN_BY_HASH))
        .execute(Tuple.of(tokenSha256))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new TokenInfo(row.getString(0), Role.valueOf(row.getString(1))));
        });
  }

  @Override
  public Future<Boolean> hasTokens() {
    return pool.query(StoreSql.COUNT_TOKENS).execute()
        .map(rows -> rows.iterator().next().getLong(0) > 0);
  }

  private static StoredRun readRun(Row row, List<StoredJob> jobs) {
    return new StoredRun(
        row.getLong("id"),
        row.getString("project"),
        row.getString("pipeline_name"),
        json(row.getString("source_json"), SourceSpec.class),
        Trigger.valueOf(row.getString("trigger_kind")),
        row.getString("requested_by"),
        row.getLong("created_at"),
        RunState.valueOf(row.getString("state")),
        row.getLong("finished_at"),
        jobs,
        row.getString("concurrency_group"),
        Boolean.TRUE.equals(row.getBoolean("cancel_in_progress")));
  }

  private static StoredJob readJob(Row row) {
    String tail = row.getString("log_tail_json");
    JobStatus status = new JobStatus(
        JobState.valueOf(row.getString("state")),
        row.getInteger("attempt"),
        row.getLong("token"),
        row.getString("drone"),
        row.getInteger("retries_used"),
        row.getInteger("infra_retries_used"),
        row.getInteger("exit_code"),
        row.getString("failed_step"),
        tail == null ? List.of() : json(tail, STRING_LIST),
        row.getString("reason"),
        row.getLong("queued_at"),
        row.getLong("started_at"),
        row.getLong("finished_at"),
        row.getString("tests_json") == null ? null : json(row.getString("tests_json"), TestSummary.class),
        row.getString("cache_json") == null ? null
            : json(row.getString("cache_json"), org.buildswarm.protocol.message.JobCacheResult.class));
    return new StoredJob(row.getLong("id"), row.getLong("run_id"), json(row.getString("plan_json"), PlannedJob.class), status);
  }

  private static <T> T json(String text, Class<T> type) {
    try {
      return ProtocolJson.mapper().readValue(text, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable " + type.getSimpleName() + " in the store: " + e.getMessage(), e);
    }
  }

  private static <T> T json(String text, TypeReference<T> type) {
    try {
      return ProtocolJson.mapper().readValue(text, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable JSON in the store: " + e.getMessage(), e);
    }
  }
}
