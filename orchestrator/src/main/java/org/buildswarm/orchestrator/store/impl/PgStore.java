package org.buildswarm.orchestrator.store.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.CreatedRun;
import org.buildswarm.orchestrator.store.DeploymentStatus;
import org.buildswarm.orchestrator.store.JobDuration;
import org.buildswarm.orchestrator.store.DroneStatus;
import org.buildswarm.orchestrator.store.NewRun;
import org.buildswarm.orchestrator.store.PipelineText;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.api.DeploymentView;
import org.buildswarm.protocol.api.EnvironmentView;
import org.buildswarm.protocol.api.EventRecord;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.api.JobTests;
import org.flywaydb.core.Flyway;

/**
 * The production store: PostgreSQL through the reactive vertx-pg-client (no thread waits on the
 * database). The schema is migrated with Flyway over JDBC once at start, on a worker thread. The
 * pool reconnects by itself after a database restart; calls made while it is down fail (the API
 * answers 503) and nothing already acknowledged is lost.
 *
 * <p>What it runs and what it makes of the rows are {@link StoreSql}'s and {@link StoreRows}', the
 * same as {@link JdbcStore}'s; this class only executes them, without waiting on a thread.
 */
public final class PgStore implements Store {
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
    return pool.withTransaction(connection -> checkFence(connection)
        .compose(fenced -> connection.preparedQuery(Dialect.POSTGRESQL.returningId(StoreSql.INSERT_RUN))
            .execute(Tuple.from(StoreRows.run(run))))
        .compose(rows -> {
          long runId = rows.iterator().next().getLong(0);
          List<Tuple> jobs = new ArrayList<>(run.jobs().size());
          for (PlannedJob job : run.jobs()) {
            jobs.add(Tuple.from(StoreRows.job(runId, job)));
          }
          Future<List<Long>> jobIds = jobs.isEmpty() ? Future.succeededFuture(List.of())
              : connection.preparedQuery(Dialect.POSTGRESQL.returningId(StoreSql.INSERT_JOB)).executeBatch(jobs)
                  .map(PgStore::batchIds);
          return jobIds.compose(ids -> insertEvents(connection, List.of(run.createdEvent(runId)))
              .map(done -> new CreatedRun(runId, ids)));
        }));
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
    List<Object[]> jobUpdates = new ArrayList<>(latest.jobs().size());
    latest.jobs().forEach((id, status) -> jobUpdates.add(StoreRows.jobStatus(id, status)));
    List<Object[]> runUpdates = new ArrayList<>(latest.runs().size());
    latest.runs().forEach((id, change) -> runUpdates.add(StoreRows.runStatus(id, change)));
    List<Object[]> added = new ArrayList<>();
    List<Object[]> replanned = new ArrayList<>();
    List<Object[]> drones = new ArrayList<>();
    List<Object[]> tests = new ArrayList<>();
    for (StateChange change : changes) {
      change.addedJobs().forEach(job -> added.add(StoreRows.addedJob(job)));
      change.replannedJobs().forEach(job -> replanned.add(StoreRows.replannedJob(job)));
      if (change.drone() != null) {
        drones.add(StoreRows.drone(change.drone()));
      }
      if (change.tests() != null) {
        tests.add(StoreRows.testResult(change.tests()));
      }
    }
    List<Object[]> attempts = AttemptStatus.latest(changes).stream().map(StoreRows::attempt).toList();
    return pool.withTransaction(connection -> checkFence(connection)
        .compose(fenced -> insertEvents(connection, changes))
        // Jobs a job set added are inserted before any status of theirs is applied.
        .compose(v -> batch(connection, sql(StoreSql.INSERT_ADDED_JOB), added))
        .compose(v -> batch(connection, sql(StoreSql.UPDATE_JOB_PLAN), replanned))
        .compose(v -> batch(connection, sql(StoreSql.UPDATE_JOB), jobUpdates))
        .compose(v -> batch(connection, sql(StoreSql.UPDATE_RUN), runUpdates))
        .compose(v -> batch(connection, WRITE_ATTEMPT, attempts))
        .compose(v -> batch(connection, REPLACE_DRONE, drones))
        .compose(v -> writeDeployments(connection, changes))
        // A resent report's test results replace the first (they are the same).
        .compose(v -> batch(connection, REPLACE_TEST_RESULT, tests)));
  }

  /** Deploy history rows and environment pointers, one change after another, in order. */
  private Future<Void> writeDeployments(SqlConnection connection, List<StateChange> changes) {
    Future<Void> written = Future.succeededFuture();
    for (StateChange change : changes) {
      DeploymentStatus deployment = change.deployment();
      if (deployment == null) {
        continue;
      }
      written = written
          .compose(v -> StoreRows.startsDeployment(deployment)
              ? update(connection, sql(StoreSql.INSERT_DEPLOYMENT), StoreRows.deployment(deployment))
              : update(connection, sql(StoreSql.END_DEPLOYMENT), StoreRows.deploymentEnd(deployment)))
          .compose(v -> deployment.state().movesPointer()
              ? update(connection, WRITE_POINTER, StoreRows.firstPointer(deployment)).<Void>mapEmpty()
              : Future.<Void>succeededFuture());
    }
    return written;
  }

  @Override
  public Future<Optional<JobTests>> testResults(long jobId, Integer attempt) {
    return attempt == null
        ? queryOne(pool, sql(StoreSql.LATEST_TEST_RESULT), row -> StoreRows.testResult(jobId, row), jobId)
        : queryOne(pool, sql(StoreSql.TEST_RESULT_OF_ATTEMPT), row -> StoreRows.testResult(jobId, row), jobId, attempt);
  }

  @Override
  public Future<List<EnvironmentView>> environments() {
    return query(pool, StoreSql.ENVIRONMENTS, StoreRows::environment)
        .compose(environments -> query(pool, StoreSql.STARTED_DEPLOYMENTS, StoreRows::startedDeployment)
            .map(started -> EnvironmentView.withDeploying(environments, started)));
  }

  @Override
  public Future<List<DeploymentView>> deployments(String project, String environment, int limit) {
    return query(pool, sql(StoreSql.DEPLOYMENTS_OF_ENVIRONMENT), StoreRows::deployment, project, environment, limit);
  }

  @Override
  public Future<List<AttemptStatus>> attempts(long jobId) {
    return query(pool, sql(StoreSql.ATTEMPTS_OF_JOB), StoreRows::attempt, jobId);
  }

  @Override
  public Future<List<JobDuration>> recentDurations(int limit) {
    return query(pool, sql(StoreSql.RECENT_DURATIONS), StoreRows::duration, limit).map(newestFirst -> {
      List<JobDuration> oldestFirst = new ArrayList<>(newestFirst);
      java.util.Collections.reverse(oldestFirst);
      return oldestFirst;
    });
  }

  @Override
  public Future<List<DroneStatus>> drones() {
    return query(pool, StoreSql.DRONES, StoreRows::drone);
  }

  private Future<Void> insertEvents(SqlConnection connection, List<StateChange> changes) {
    return batch(connection, sql(StoreSql.INSERT_EVENT), changes.stream().map(StoreRows::event).toList());
  }

  @Override
  public Future<List<StoredRun>> loadActiveRuns() {
    return pool.withConnection(connection -> query(connection, StoreSql.ACTIVE_RUNS, StoreRows::run)
        .compose(runs -> withJobs(connection, runs)));
  }

  @Override
  public Future<Optional<StoredRun>> findRun(long runId) {
    return pool.withConnection(connection -> query(connection, sql(StoreSql.RUN), StoreRows::run, runId)
        .compose(runs -> withJobs(connection, runs))
        .map(runs -> runs.stream().findFirst()));
  }

  @Override
  public Future<Optional<PipelineText>> findPipeline(long runId) {
    return queryOne(pool, sql(StoreSql.RUN), StoreRows::pipeline, runId);
  }

  /** The runs with their jobs, read in one query. */
  private Future<List<StoredRun>> withJobs(SqlConnection connection, List<StoredRun> runs) {
    if (runs.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return query(connection, sql(StoreSql.JOBS_OF_RUNS), StoreRows::job, (Object) StoreRows.ids(runs))
        .map(jobs -> StoreRows.withJobs(runs, jobs));
  }

  @Override
  public Future<RunPage> listRuns(RunQuery runQuery) {
    // Not cached: a page's statement depends on its filters.
    String page = Dialect.POSTGRESQL.sql(StoreSql.runPage(runQuery));
    Object[] parameters = StoreSql.runPageParameters(runQuery).toArray();
    return pool.withConnection(connection -> query(connection, page, StoreRows::run, parameters).compose(runs -> {
      StoreRows.Listed listed = StoreRows.listed(runQuery, runs);
      Future<List<StoreRows.JobCount>> counts = listed.runs().isEmpty() ? Future.succeededFuture(List.of())
          : query(connection, sql(StoreSql.JOB_COUNTS_OF_RUNS), StoreRows::jobCount, (Object) StoreRows.ids(listed.runs()));
      return counts.map(found -> StoreRows.page(listed, found));
    }));
  }

  @Override
  public Future<List<EventRecord>> events(long runId, long afterSeq, int limit) {
    return query(pool, sql(StoreSql.EVENTS_AFTER), StoreRows::event, runId, afterSeq, limit);
  }

  @Override
  public Future<Boolean> saveToken(String tokenSha256, String name, Role role) {
    return pool.preparedQuery(INSERT_TOKEN)
        .execute(Tuple.of(tokenSha256, name, role.name(), System.currentTimeMillis()))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Map<String, String>> discoveredHeads(String project) {
    return this.<Map.Entry<String, String>>query(pool, sql(StoreSql.DISCOVERED_HEADS),
        row -> Map.entry(row.string(0), row.string(1)), project).map(StoreRows::sortedMap);
  }

  @Override
  public Future<Void> saveDiscoveredHead(String project, String ref, String sha) {
    return update(pool, REPLACE_DISCOVERED_HEAD, project, ref, sha, System.currentTimeMillis()).mapEmpty();
  }

  @Override
  public Future<Map<String, Long>> scheduleFires(String project) {
    return this.<Map.Entry<String, Long>>query(pool, sql(StoreSql.SCHEDULE_FIRES),
        row -> Map.entry(row.string(0), row.longValue(1)), project).map(StoreRows::sortedMap);
  }

  @Override
  public Future<Void> saveScheduleFire(String project, String expression, long firedAt) {
    return update(pool, REPLACE_SCHEDULE_FIRE, project, expression, firedAt).mapEmpty();
  }

  @Override
  public Future<Boolean> recordDelivery(String deliveryId) {
    return update(pool, INSERT_DELIVERY, deliveryId, System.currentTimeMillis()).map(count -> count == 1);
  }

  @Override
  public Future<List<TokenSummary>> listTokens() {
    return query(pool, StoreSql.TOKENS, StoreRows::token);
  }

  @Override
  public Future<Boolean> deleteToken(String name) {
    return update(pool, sql(StoreSql.DELETE_TOKEN), name).map(count -> count == 1);
  }

  @Override
  public Future<Optional<TokenInfo>> findToken(String tokenSha256) {
    return queryOne(pool, sql(StoreSql.TOKEN_BY_HASH), StoreRows::tokenInfo, tokenSha256);
  }

  @Override
  public Future<Boolean> hasTokens() {
    return this.<Long>queryOne(pool, StoreSql.COUNT_TOKENS, row -> row.longValue(0))
        .map(count -> count.orElse(0L) > 0);
  }

  // --- executing: statements already numbered; a statement without parameters is sent unprepared ---

  private <T> Future<List<T>> query(SqlClient client, String sql, java.util.function.Function<StoreRows.Columns, T> row,
      Object... parameters) {
    Future<RowSet<Row>> rows = parameters.length == 0 ? client.query(sql).execute()
        : client.preparedQuery(sql).execute(Tuple.from(parameters));
    return rows.map(found -> {
      List<T> read = new ArrayList<>(found.size());
      for (Row each : found) {
        read.add(row.apply(new RowColumns(each)));
      }
      return read;
    });
  }

  private <T> Future<Optional<T>> queryOne(SqlClient client, String sql,
      java.util.function.Function<StoreRows.Columns, T> row, Object... parameters) {
    return this.<T>query(client, sql, row, parameters).map(found -> found.stream().findFirst());
  }

  /** The rows the statement changed. */
  private static Future<Integer> update(SqlClient client, String sql, Object... parameters) {
    return client.preparedQuery(sql).execute(Tuple.from(parameters)).map(RowSet::rowCount);
  }

  private static Future<Void> batch(SqlConnection connection, String sql, List<Object[]> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> tuples = new ArrayList<>(rows.size());
    rows.forEach(row -> tuples.add(Tuple.from(row)));
    return connection.preparedQuery(sql).executeBatch(tuples).mapEmpty();
  }

  /** A PostgreSQL client row as {@link StoreRows.Columns} (positions from 0 already). */
  private record RowColumns(Row row) implements StoreRows.Columns {
    @Override
    public String string(String column) {
      return row.getString(column);
    }

    @Override
    public String string(int position) {
      return row.getString(position);
    }

    @Override
    public Long longValue(String column) {
      return row.getLong(column);
    }

    @Override
    public Long longValue(int position) {
      return row.getLong(position);
    }

    @Override
    public Integer integer(String column) {
      return row.getInteger(column);
    }

    @Override
    public Integer integer(int position) {
      return row.getInteger(position);
    }

    @Override
    public boolean bool(String column) {
      return Boolean.TRUE.equals(row.getBoolean(column));
    }

    @Override
    public boolean bool(int position) {
      return Boolean.TRUE.equals(row.getBoolean(position));
    }
  }
}
