package org.buildswarm.orchestrator.store.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.AttemptTests;
import org.buildswarm.orchestrator.store.CreatedRun;
import org.buildswarm.orchestrator.store.DeploymentStatus;
import org.buildswarm.orchestrator.store.JobDuration;
import org.buildswarm.orchestrator.store.DroneStatus;
import org.buildswarm.orchestrator.store.FencedException;
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
 * The store over plain JDBC, on a worker pool so the event loop never waits on the database.
 * Writes run in submission order on one writer thread; reads run alongside them.
 *
 * <p>Writes are <b>group-committed</b>: whatever is waiting when the writer gets to it goes into
 * one transaction, committed and — for H2 — forced to disk with one {@code CHECKPOINT SYNC}, and
 * only then is any of them answered. So a write's future completes only once the change is on
 * disk (an acknowledgement never outruns the data), and the cost of the sync is shared by every
 * write that waited for it. A group that fails is undone and its writes are retried one by one, so
 * one bad write fails alone.
 */
public final class JdbcStore implements Store {
  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};
  private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() {};
  private static final TypeReference<List<TestFailure>> FAILURES = new TypeReference<>() {};

  private final Vertx vertx;
  private final DataSource dataSource;
  private final AutoCloseable closer;
  private final WorkerExecutor writes;
  private final WorkerExecutor reads;
  /** The one writer thread's own connection, with its statements prepared once (H2 parses SQL on every prepare). */
  private Connection writer;
  private final Map<String, PreparedStatement> prepared = new HashMap<>();
  /** Writes waiting for the writer, in submission order (guarded by itself). */
  private final java.util.ArrayDeque<PendingWrite<?>> pending = new java.util.ArrayDeque<>();
  private boolean writerScheduled;
  /** Set by {@link #close()}: later writes fail at once instead of waiting for a writer that is gone. */
  private boolean closed;
  /** Whether each commit is forced to disk (H2: CHECKPOINT SYNC) before it is acknowledged. */
  private final boolean syncCommits;
  private final String description;
  /** Most writes committed together. */
  static final int MAX_GROUP = 64;
  private static final String REPLACE_TEST_RESULT = Dialect.H2.replace(StoreSql.TEST_RESULT_ROWS);
  private static final String REPLACE_DRONE = Dialect.H2.replace(StoreSql.DRONE_ROWS);
  private static final String REPLACE_DISCOVERED_HEAD = Dialect.H2.replace(StoreSql.DISCOVERED_HEAD_ROWS);
  private static final String REPLACE_SCHEDULE_FIRE = Dialect.H2.replace(StoreSql.SCHEDULE_FIRE_ROWS);
  private static final String INSERT_TOKEN = Dialect.H2.insertUnlessPresent(StoreSql.TOKEN_ROWS);
  private static final String INSERT_DELIVERY = Dialect.H2.insertUnlessPresent(StoreSql.DELIVERY_ROWS);
  private final Fence fence = new Fence();
  private final java.util.concurrent.atomic.AtomicLong groups = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong grouped = new java.util.concurrent.atomic.AtomicLong();

  /** @param fenced refused, and nothing of it written, once a newer orchestrator epoch exists */
  private record PendingWrite<T>(TransactionBody<T> body, boolean fenced, io.vertx.core.Context context,
      io.vertx.core.Promise<T> promise) {}

  /**
   * @param closer releases the data source's connections on {@link #close()}
   * @param syncCommits force every group commit to disk before acknowledging it (H2's CHECKPOINT SYNC)
   * @param description what it is, for people
   */
  public JdbcStore(Vertx vertx, DataSource dataSource, AutoCloseable closer, int readThreads, boolean syncCommits,
      String description) {
    this.vertx = vertx;
    this.description = description;
    this.dataSource = dataSource;
    this.closer = closer;
    this.syncCommits = syncCommits;
    this.writes = vertx.createSharedWorkerExecutor("buildswarm-store-writes-" + System.identityHashCode(this), 1);
    this.reads = vertx.createSharedWorkerExecutor("buildswarm-store-reads-" + System.identityHashCode(this), readThreads);
  }

  @Override
  public Future<Void> start() {
    return write(() -> {
      Flyway.configure(JdbcStore.class.getClassLoader())
          .dataSource(dataSource)
          .locations(Migrations.locations(vendor()))
          .failOnMissingLocations(true)
          .load()
          .migrate();
      return null;
    });
  }

  /** The database's own migrations folder: {@code h2} or {@code postgresql}. */
  private String vendor() throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      String product = connection.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
      if (product.contains("h2")) {
        return "h2";
      }
      if (product.contains("postgres")) {
        return "postgresql";
      }
      throw new SQLException("unsupported database " + product);
    }
  }

  @Override
  public Future<Void> close() {
    synchronized (pending) {
      if (closed) {
        return Future.succeededFuture();
      }
      closed = true;
    }
    // Ordered after any drain already scheduled; what is still pending is committed before closing.
    return this.<Void>write(() -> {
      drainWrites();
      closeWriter();
      closer.close();
      return null;
    }).eventually(() -> writes.close()).eventually(() -> reads.close());
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public Future<String> identity() {
    return transaction(connection -> {
      PreparedStatement insert = statement(connection, StoreSql.MAKE_IDENTITY_ONCE, false);
      insert.setString(1, java.util.UUID.randomUUID().toString());
      insert.setLong(2, System.currentTimeMillis());
      insert.executeUpdate();
      try (Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(StoreSql.IDENTITY)) {
        rows.next();
        return rows.getString(1);
      }
    });
  }

  @Override
  public Future<Long> beginEpoch(String holder) {
    return transaction(connection -> {
      long epoch;
      try (Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(StoreSql.NEXT_EPOCH)) {
        rows.next();
        epoch = rows.getLong(1);
      }
      {
        PreparedStatement insert = statement(connection, StoreSql.INSERT_EPOCH, false);
        insert.setLong(1, epoch);
        insert.setString(2, holder);
        insert.setLong(3, System.currentTimeMillis());
        insert.executeUpdate();
      }
      return epoch;
    }).onSuccess(fence::begun);
  }

  @Override
  public Future<CreatedRun> createRun(NewRun run) {
    return fencedTransaction(connection -> {
      long runId;
      {
        PreparedStatement insert = statement(connection, StoreSql.INSERT_RUN, true);
        insert.setString(1, run.project());
        insert.setString(2, run.pipelineName());
        insert.setString(3, run.file());
        insert.setString(4, run.pipelineYaml());
        insert.setString(5, ProtocolJson.toJson(run.source()));
        insert.setString(6, run.trigger().name());
        insert.setString(7, run.requestedBy());
        insert.setString(8, RunState.QUEUED.name());
        insert.setLong(9, run.createdAt());
        insert.setString(10, run.concurrencyGroup());
        insert.setBoolean(11, run.cancelInProgress());
        insert.setString(12, run.source().branch());
        insert.executeUpdate();
        runId = generatedKey(insert);
      }
      List<Long> jobIds = new ArrayList<>(run.jobs().size());
      {
        PreparedStatement insert = statement(connection, StoreSql.INSERT_JOB, true);
        for (PlannedJob job : run.jobs()) {
          insert.setLong(1, runId);
          insert.setInt(2, job.index());
          insert.setString(3, job.name());
          insert.setString(4, ProtocolJson.toJson(job));
          insert.setString(5, job.initialState().name());
          insert.setString(6, job.group());
          insert.executeUpdate();
          jobIds.add(generatedKey(insert));
        }
      }
      insertEvents(connection, List.of(run.createdEvent(runId)));
      return new CreatedRun(runId, jobIds);
    });
  }

  @Override
  public Future<Void> append(List<StateChange> changes) {
    if (changes.isEmpty()) {
      return Future.succeededFuture();
    }
    return fencedTransaction(connection -> {
      insertEvents(connection, changes);
      writeAddedJobs(connection, changes);
      {
        PreparedStatement jobUpdate = statement(connection, StoreSql.UPDATE_JOB, false);
        PreparedStatement runUpdate = statement(connection, StoreSql.UPDATE_RUN, false);
        LatestStatuses latest = LatestStatuses.of(changes);
        Map<Long, JobStatus> lastJobStatus = latest.jobs();
        Map<Long, StateChange> lastRunChange = latest.runs();
        for (Map.Entry<Long, JobStatus> entry : lastJobStatus.entrySet()) {
          bindJobStatus(jobUpdate, entry.getValue());
          jobUpdate.setLong(16, entry.getKey());
          jobUpdate.addBatch();
        }
        if (!lastJobStatus.isEmpty()) {
          jobUpdate.executeBatch();
        }
        for (StateChange change : lastRunChange.values()) {
          runUpdate.setString(1, change.runStatus().state().name());
          setLong(runUpdate, 2, change.runStatus().finishedAt());
          runUpdate.setLong(3, change.runId());
          runUpdate.addBatch();
        }
        if (!lastRunChange.isEmpty()) {
          runUpdate.executeBatch();
        }
      }
      writeAttemptsAndDrones(connection, changes);
      writeDeployments(connection, changes);
      writeTestResults(connection, changes);
      return null;
    });
  }

  /** Each attempt's test results; a resent report's replace the first (they are the same). */
  private void writeTestResults(Connection connection, List<StateChange> changes) throws SQLException {
    PreparedStatement merge = null;
    for (StateChange change : changes) {
      AttemptTests tests = change.tests();
      if (tests == null) {
        continue;
      }
      if (merge == null) {
        merge = statement(connection, REPLACE_TEST_RESULT, false);
      }
      merge.setLong(1, tests.jobId());
      merge.setInt(2, tests.attempt());
      merge.setString(3, ProtocolJson.toJson(tests.results().summary()));
      merge.setString(4, ProtocolJson.toJson(tests.results().failures()));
      merge.setBoolean(5, tests.results().truncated());
      merge.addBatch();
    }
    if (merge != null) {
      merge.executeBatch();
    }
  }

  @Override
  public Future<Optional<JobTests>> testResults(long jobId, Integer attempt) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(attempt == null
              ? StoreSql.LATEST_TEST_RESULT : StoreSql.TEST_RESULT_OF_ATTEMPT)) {
        query.setLong(1, jobId);
        if (attempt != null) {
          query.setInt(2, attempt);
        }
        try (ResultSet rows = query.executeQuery()) {
          if (!rows.next()) {
            return Optional.empty();
          }
          return Optional.of(new JobTests(jobId, rows.getInt(1),
              ProtocolJson.mapper().readValue(rows.getString(2), TestSummary.class),
              ProtocolJson.mapper().readValue(rows.getString(3), FAILURES), rows.getBoolean(4)));
        }
      }
    });
  }

  /** Jobs a job set added (inserted before any status of theirs is applied) and plans that now need them. */
  private void writeAddedJobs(Connection connection, List<StateChange> changes) throws SQLException {
    for (StateChange change : changes) {
      if (!change.addedJobs().isEmpty()) {
        PreparedStatement insert = statement(connection, StoreSql.INSERT_ADDED_JOB, false);
        for (StoredJob job : change.addedJobs()) {
          insert.setLong(1, job.id());
          insert.setLong(2, job.runId());
          insert.setInt(3, job.plan().index());
          insert.setString(4, job.plan().name());
          insert.setString(5, ProtocolJson.toJson(job.plan()));
          insert.setString(6, job.status().state().name());
          insert.setString(7, job.plan().group());
          insert.addBatch();
        }
        insert.executeBatch();
      }
      if (!change.replannedJobs().isEmpty()) {
        PreparedStatement update = statement(connection, StoreSql.UPDATE_JOB_PLAN, false);
        for (StoredJob job : change.replannedJobs()) {
          update.setString(1, ProtocolJson.toJson(job.plan()));
          update.setLong(2, job.id());
          update.addBatch();
        }
        update.executeBatch();
      }
    }
  }

  /** Deploy history rows and environment pointers, in the order the changes happened. */
  private void writeDeployments(Connection connection, List<StateChange> changes) throws SQLException {
    for (StateChange change : changes) {
      DeploymentStatus deployment = change.deployment();
      if (deployment == null) {
        continue;
      }
      if (deployment.state() == DeploymentStatus.DeployState.STARTED
          || deployment.state() == DeploymentStatus.DeployState.ACTIVATED) {
        PreparedStatement insert = statement(connection, StoreSql.INSERT_DEPLOYMENT, false);
        insert.setString(1, deployment.project());
        insert.setString(2, deployment.environment());
        insert.setLong(3, deployment.runId());
        insert.setString(4, deployment.version());
        insert.setString(5, deployment.previousVersion());
        insert.setString(6, deployment.state().name());
        insert.setLong(7, deployment.at());
        setLong(insert, 8, deployment.state() == DeploymentStatus.DeployState.ACTIVATED ? deployment.at() : null);
        insert.setString(9, deployment.requestedBy());
        insert.executeUpdate();
      } else {
        PreparedStatement update = statement(connection, StoreSql.END_DEPLOYMENT, false);
        update.setString(1, deployment.state().name());
        update.setLong(2, deployment.at());
        update.setString(3, deployment.project());
        update.setString(4, deployment.environment());
        update.setLong(5, deployment.runId());
        update.executeUpdate();
      }
      if (deployment.state().movesPointer()) {
        PreparedStatement move = statement(connection, StoreSql.MOVE_POINTER, false);
        move.setString(1, deployment.version());
        move.setLong(2, deployment.runId());
        move.setLong(3, deployment.at());
        move.setString(4, deployment.project());
        move.setString(5, deployment.environment());
        if (move.executeUpdate() == 0) {
          PreparedStatement first = statement(connection, StoreSql.FIRST_POINTER, false);
          first.setString(1, deployment.project());
          first.setString(2, deployment.environment());
          first.setString(3, deployment.version());
          first.setLong(4, deployment.runId());
          first.setLong(5, deployment.at());
          first.executeUpdate();
        }
      }
    }
  }

  @Override
  public Future<List<EnvironmentView>> environments() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.ENVIRONMENTS);
          ResultSet rows = query.executeQuery()) {
        List<EnvironmentView> environments = new ArrayList<>();
        while (rows.next()) {
          environments.add(new EnvironmentView(rows.getString(1), rows.getString(2), rows.getString(3),
              getLong(rows, "current_run"), rows.getString(5), getLong(rows, "previous_run"), null, rows.getLong(7),
              List.of()));
        }
        List<DeploymentView> started = new ArrayList<>();
        try (PreparedStatement deploying = connection.prepareStatement(StoreSql.STARTED_DEPLOYMENTS);
            ResultSet deployingRows = deploying.executeQuery()) {
          while (deployingRows.next()) {
            started.add(new DeploymentView(0, deployingRows.getString(1), deployingRows.getString(2),
                deployingRows.getLong(3), "", null, "STARTED", deployingRows.getLong(4), null, null));
          }
        }
        return EnvironmentView.withDeploying(environments, started);
      }
    });
  }

  @Override
  public Future<List<DeploymentView>> deployments(String project, String environment, int limit) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.DEPLOYMENTS_OF_ENVIRONMENT)) {
        query.setString(1, project);
        query.setString(2, environment);
        query.setInt(3, limit);
        List<DeploymentView> history = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            history.add(new DeploymentView(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getLong(4),
                rows.getString(5), rows.getString(6), rows.getString(7), rows.getLong(8), getLong(rows, "finished_at"),
                rows.getString(10)));
          }
        }
        return history;
      }
    });
  }

  /** Each attempt of the batch is written once, as the batch leaves it; a drone row is replaced by its latest. */
  private void writeAttemptsAndDrones(Connection connection, List<StateChange> changes) throws SQLException {
    List<AttemptStatus> attempts = new ArrayList<>(AttemptStatus.latest(changes));
    if (!attempts.isEmpty()) {
      PreparedStatement update = statement(connection, StoreSql.UPDATE_ATTEMPT, false);
      for (AttemptStatus attempt : attempts) {
        setLong(update, 1, attempt.startedAt());
        setLong(update, 2, attempt.endedAt());
        update.setString(3, attempt.outcome());
        setInteger(update, 4, attempt.exitCode());
        update.setLong(5, attempt.jobId());
        update.setInt(6, attempt.attempt());
        update.addBatch();
      }
      int[] updated = update.executeBatch();
      PreparedStatement insert = statement(connection, StoreSql.INSERT_ATTEMPT, false);
      boolean inserts = false;
      for (int i = 0; i < attempts.size(); i++) {
        if (updated[i] == 0) {
          AttemptStatus attempt = attempts.get(i);
          insert.setLong(1, attempt.jobId());
          insert.setInt(2, attempt.attempt());
          insert.setLong(3, attempt.token());
          insert.setString(4, attempt.drone());
          insert.setLong(5, attempt.assignedAt());
          setLong(insert, 6, attempt.startedAt());
          setLong(insert, 7, attempt.endedAt());
          insert.setString(8, attempt.outcome());
          setInteger(insert, 9, attempt.exitCode());
          insert.addBatch();
          inserts = true;
        }
      }
      if (inserts) {
        insert.executeBatch();
      }
    }
    for (StateChange change : changes) {
      DroneStatus status = change.drone();
      if (status != null) {
        PreparedStatement drone = statement(connection, REPLACE_DRONE, false);
        drone.setString(1, status.name());
        drone.setString(2, status.host());
        drone.setInt(3, status.cores());
        drone.setString(4, ProtocolJson.toJson(status.labels()));
        drone.setString(5, status.operatorMode() == null ? null : status.operatorMode().name());
        drone.setLong(6, status.lastSeenAt());
        drone.executeUpdate();
      }
    }
  }

  @Override
  public Future<List<AttemptStatus>> attempts(long jobId) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.ATTEMPTS_OF_JOB)) {
        query.setLong(1, jobId);
        List<AttemptStatus> attempts = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            int exit = rows.getInt(9);
            Integer exitCode = rows.wasNull() ? null : exit;
            attempts.add(new AttemptStatus(rows.getLong(1), rows.getInt(2), rows.getLong(3), rows.getString(4),
                rows.getLong(5), getLong(rows, "started_at"), getLong(rows, "ended_at"), rows.getString(8), exitCode));
          }
        }
        return attempts;
      }
    });
  }

  @Override
  public Future<List<JobDuration>> recentDurations(int limit) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.RECENT_DURATIONS)) {
        query.setInt(1, limit);
        List<JobDuration> durations = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            durations.add(new JobDuration(rows.getString(1), rows.getString(2), rows.getLong(3)));
          }
        }
        java.util.Collections.reverse(durations);
        return durations;
      }
    });
  }

  @Override
  public Future<List<DroneStatus>> drones() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(StoreSql.DRONES)) {
        List<DroneStatus> drones = new ArrayList<>();
        while (rows.next()) {
          String mode = rows.getString(5);
          drones.add(new DroneStatus(rows.getString(1), rows.getString(2), rows.getInt(3),
              ProtocolJson.mapper().readValue(rows.getString(4), STRING_LIST),
              mode == null ? null : org.buildswarm.protocol.DroneMode.valueOf(mode), rows.getLong(6)));
        }
        return drones;
      }
    });
  }


  @Override
  public Future<List<StoredRun>> loadActiveRuns() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.ACTIVE_RUNS)) {
        List<StoredRun> runs = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            runs.add(readRun(rows, List.of()));
          }
        }
        return withJobs(connection, runs);
      }
    });
  }

  @Override
  public Future<Optional<StoredRun>> findRun(long runId) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.RUN)) {
        query.setLong(1, runId);
        try (ResultSet rows = query.executeQuery()) {
          if (!rows.next()) {
            return Optional.empty();
          }
          return Optional.of(withJobs(connection, List.of(readRun(rows, List.of()))).get(0));
        }
      }
    });
  }

  @Override
  public Future<Optional<PipelineText>> findPipeline(long runId) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.RUN)) {
        query.setLong(1, runId);
        try (ResultSet rows = query.executeQuery()) {
          if (!rows.next()) {
            return Optional.empty();
          }
          StoredRun run = readRun(rows, List.of());
          return Optional.of(new PipelineText(run.project(), rows.getString("pipeline_file"),
              rows.getString("pipeline_yaml"), run.source()));
        }
      }
    });
  }

  @Override
  public Future<RunPage> listRuns(RunQuery runQuery) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.runPage(runQuery))) {
        List<Object> parameters = StoreSql.runPageParameters(runQuery);
        for (int i = 0; i < parameters.size(); i++) {
          query.setObject(i + 1, parameters.get(i));
        }
        List<StoredRun> runs = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            runs.add(readRun(rows, List.of()));
          }
        }
        Long next = null;
        if (runs.size() > runQuery.limit()) {
          runs = runs.subList(0, runQuery.limit());
          next = runs.get(runs.size() - 1).id();
        }
        Map<Long, Map<JobState, Integer>> counts = jobCounts(connection, runs);
        List<RunSummary> summaries = new ArrayList<>(runs.size());
        for (StoredRun run : runs) {
          summaries.add(new RunSummary(run.id(), run.project(), run.pipelineName(), run.state(), run.trigger(),
              run.requestedBy(), run.createdAt(), run.finishedAt(), counts.getOrDefault(run.id(), Map.of()), run.source()));
        }
        return new RunPage(summaries, next);
      }
    });
  }

  @Override
  public Future<List<EventRecord>> events(long runId, long afterSeq, int limit) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.EVENTS_AFTER)) {
        query.setLong(1, runId);
        query.setLong(2, afterSeq);
        query.setInt(3, limit);
        List<EventRecord> events = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            long jobId = rows.getLong(4);
            Long job = rows.wasNull() ? null : jobId;
            events.add(new EventRecord(rows.getLong(1), rows.getLong(2), rows.getLong(3), job, rows.getString(5),
                ProtocolJson.mapper().readValue(rows.getString(6), JSON_OBJECT)));
          }
        }
        return events;
      }
    });
  }

  @Override
  public Future<Boolean> saveToken(String tokenSha256, String name, Role role) {
    return transaction(connection -> {
      PreparedStatement insert = statement(connection, INSERT_TOKEN, false);
      insert.setString(1, tokenSha256);
      insert.setString(2, name);
      insert.setString(3, role.name());
      insert.setLong(4, System.currentTimeMillis());
      return insert.executeUpdate() == 1;
    });
  }

  @Override
  public Future<Map<String, String>> discoveredHeads(String project) {
    return projectMap(StoreSql.DISCOVERED_HEADS, project, ResultSet::getString);
  }

  @Override
  public Future<Void> saveDiscoveredHead(String project, String ref, String sha) {
    return transaction(connection -> {
      PreparedStatement merge = statement(connection, REPLACE_DISCOVERED_HEAD, false);
      merge.setString(1, project);
      merge.setString(2, ref);
      merge.setString(3, sha);
      merge.setLong(4, System.currentTimeMillis());
      merge.executeUpdate();
      return null;
    });
  }

  @Override
  public Future<Map<String, Long>> scheduleFires(String project) {
    return projectMap(StoreSql.SCHEDULE_FIRES, project, ResultSet::getLong);
  }

  private interface Column<V> {
    V read(ResultSet rows, int index) throws SQLException;
  }

  /** One project's rows of a two-column query, as a sorted map from the first column to the second. */
  private <V> Future<Map<String, V>> projectMap(String sql, String project, Column<V> value) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(sql)) {
        query.setString(1, project);
        Map<String, V> map = new java.util.TreeMap<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            map.put(rows.getString(1), value.read(rows, 2));
          }
        }
        return map;
      }
    });
  }

  @Override
  public Future<Void> saveScheduleFire(String project, String expression, long firedAt) {
    return transaction(connection -> {
      PreparedStatement merge = statement(connection, REPLACE_SCHEDULE_FIRE, false);
      merge.setString(1, project);
      merge.setString(2, expression);
      merge.setLong(3, firedAt);
      merge.executeUpdate();
      return null;
    });
  }

  @Override
  public Future<Boolean> recordDelivery(String deliveryId) {
    return transaction(connection -> {
      PreparedStatement insert = statement(connection, INSERT_DELIVERY, false);
      insert.setString(1, deliveryId);
      insert.setLong(2, System.currentTimeMillis());
      return insert.executeUpdate() == 1;
    });
  }

  @Override
  public Future<List<TokenSummary>> listTokens() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(StoreSql.TOKENS)) {
        List<TokenSummary> tokens = new ArrayList<>();
        while (rows.next()) {
          tokens.add(new TokenSummary(rows.getString(1), Role.valueOf(rows.getString(2)), rows.getLong(3)));
        }
        return tokens;
      }
    });
  }

  @Override
  public Future<Boolean> deleteToken(String name) {
    return transaction(connection -> {
      PreparedStatement delete = statement(connection, StoreSql.DELETE_TOKEN, false);
      delete.setString(1, name);
      return delete.executeUpdate() == 1;
    });
  }

  @Override
  public Future<Optional<TokenInfo>> findToken(String tokenSha256) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement(StoreSql.TOKEN_BY_HASH)) {
        query.setString(1, tokenSha256);
        try (ResultSet rows = query.executeQuery()) {
          return rows.next()
              ? Optional.of(new TokenInfo(rows.getString(1), Role.valueOf(rows.getString(2))))
              : Optional.empty();
        }
      }
    });
  }

  @Override
  public Future<Boolean> hasTokens() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection();
          Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(StoreSql.COUNT_TOKENS)) {
        rows.next();
        return rows.getLong(1) > 0;
      }
    });
  }

  /** The runs with their jobs, read in one query. */
  private List<StoredRun> withJobs(Connection connection, List<StoredRun> runs) throws Exception {
    if (runs.isEmpty()) {
      return List.of();
    }
    Map<Long, List<StoredJob>> jobsByRun = new HashMap<>();
    try (PreparedStatement query = connection.prepareStatement(StoreSql.JOBS_OF_RUNS)) {
      query.setObject(1, runIds(runs));
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          StoredJob job = readJob(rows);
          jobsByRun.computeIfAbsent(job.runId(), id -> new ArrayList<>()).add(job);
        }
      }
    }
    List<StoredRun> withJobs = new ArrayList<>(runs.size());
    for (StoredRun run : runs) {
      withJobs.add(run.withJobs(jobsByRun.getOrDefault(run.id(), List.of())));
    }
    return withJobs;
  }

  private static Long[] runIds(List<StoredRun> runs) {
    return runs.stream().map(StoredRun::id).toArray(Long[]::new);
  }

  private Map<Long, Map<JobState, Integer>> jobCounts(Connection connection, List<StoredRun> runs) throws SQLException {
    Map<Long, Map<JobState, Integer>> counts = new HashMap<>();
    if (runs.isEmpty()) {
      return counts;
    }
    try (PreparedStatement query = connection.prepareStatement(StoreSql.JOB_COUNTS_OF_RUNS)) {
      query.setObject(1, runIds(runs));
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          counts.computeIfAbsent(rows.getLong(1), id -> new EnumMap<>(JobState.class))
              .put(JobState.valueOf(rows.getString(2)), rows.getInt(3));
        }
      }
    }
    return counts;
  }

  private static StoredRun readRun(ResultSet rows, List<StoredJob> jobs) throws Exception {
    return new StoredRun(
        rows.getLong("id"),
        rows.getString("project"),
        rows.getString("pipeline_name"),
        ProtocolJson.mapper().readValue(rows.getString("source_json"), SourceSpec.class),
        Trigger.valueOf(rows.getString("trigger_kind")),
        rows.getString("requested_by"),
        rows.getLong("created_at"),
        RunState.valueOf(rows.getString("state")),
        getLong(rows, "finished_at"),
        jobs,
        rows.getString("concurrency_group"),
        rows.getBoolean("cancel_in_progress"));
  }

  private static StoredJob readJob(ResultSet rows) throws Exception {
    PlannedJob plan = ProtocolJson.mapper().readValue(rows.getString("plan_json"), PlannedJob.class);
    String tail = rows.getString("log_tail_json");
    String tests = rows.getString("tests_json");
    String cache = rows.getString("cache_json");
    int exitCode = rows.getInt("exit_code");
    Integer exit = rows.wasNull() ? null : exitCode;
    JobStatus status = new JobStatus(
        JobState.valueOf(rows.getString("state")),
        rows.getInt("attempt"),
        rows.getLong("token"),
        rows.getString("drone"),
        rows.getInt("retries_used"),
        rows.getInt("infra_retries_used"),
        exit,
        rows.getString("failed_step"),
        tail == null ? List.of() : ProtocolJson.mapper().readValue(tail, STRING_LIST),
        rows.getString("reason"),
        getLong(rows, "queued_at"),
        getLong(rows, "started_at"),
        getLong(rows, "finished_at"),
        tests == null ? null : ProtocolJson.mapper().readValue(tests, TestSummary.class),
        cache == null ? null : ProtocolJson.mapper().readValue(cache, org.buildswarm.protocol.message.JobCacheResult.class));
    return new StoredJob(rows.getLong("id"), rows.getLong("run_id"), plan, status);
  }

  private static void bindJobStatus(PreparedStatement update, JobStatus status) throws SQLException {
    update.setString(1, status.state().name());
    update.setInt(2, status.attempt());
    update.setLong(3, status.token());
    update.setString(4, status.drone());
    update.setInt(5, status.retriesUsed());
    update.setInt(6, status.infraRetriesUsed());
    if (status.exitCode() == null) {
      update.setNull(7, Types.INTEGER);
    } else {
      update.setInt(7, status.exitCode());
    }
    update.setString(8, status.failedStep());
    update.setString(9, status.logTail().isEmpty() ? null : ProtocolJson.toJson(status.logTail()));
    update.setString(10, StoreSql.abbreviatedReason(status.reason()));
    setLong(update, 11, status.queuedAt());
    setLong(update, 12, status.startedAt());
    setLong(update, 13, status.finishedAt());
    update.setString(14, status.tests() == null ? null : ProtocolJson.toJson(status.tests()));
    update.setString(15, status.cache() == null ? null : ProtocolJson.toJson(status.cache()));
  }

  private void insertEvents(Connection connection, List<StateChange> changes) throws SQLException {
    {
      PreparedStatement insert = statement(connection, StoreSql.INSERT_EVENT, false);
      for (StateChange change : changes) {
        insert.setLong(1, change.at());
        insert.setLong(2, change.runId());
        setLong(insert, 3, change.jobId());
        insert.setString(4, change.type());
        insert.setString(5, ProtocolJson.toJson(change.data()));
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  private static long generatedKey(Statement statement) throws SQLException {
    try (ResultSet keys = statement.getGeneratedKeys()) {
      keys.next();
      return keys.getLong(1);
    }
  }

  private static Long getLong(ResultSet rows, String column) throws SQLException {
    long value = rows.getLong(column);
    return rows.wasNull() ? null : value;
  }

  private static void setInteger(PreparedStatement statement, int index, Integer value) throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.INTEGER);
    } else {
      statement.setInt(index, value);
    }
  }

  private static void setLong(PreparedStatement statement, int index, Long value) throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.BIGINT);
    } else {
      statement.setLong(index, value);
    }
  }

  private interface TransactionBody<T> {
    T run(Connection connection) throws Exception;
  }

  /**
   * Queues a write; it completes, on the caller's context, once it is committed (and synced) with
   * whatever else was waiting.
   */
  private <T> Future<T> transaction(TransactionBody<T> body) {
    return queueWrite(body, false);
  }

  /** A write that changes runs: refused with {@link FencedException} once a newer orchestrator epoch exists. */
  private <T> Future<T> fencedTransaction(TransactionBody<T> body) {
    return queueWrite(body, true);
  }

  private <T> Future<T> queueWrite(TransactionBody<T> body, boolean fenced) {
    io.vertx.core.Promise<T> promise = io.vertx.core.Promise.promise();
    boolean schedule;
    synchronized (pending) {
      if (closed) {
        return Future.failedFuture(new IllegalStateException("the store is closed"));
      }
      pending.add(new PendingWrite<>(body, fenced, vertx.getOrCreateContext(), promise));
      schedule = !writerScheduled;
      writerScheduled = true;
    }
    if (schedule) {
      try {
        writes.executeBlocking(() -> {
          drainWrites();
          return null;
        }, true);
      } catch (java.util.concurrent.RejectedExecutionException gone) {
        // The writer's pool is shut (Vert.x is closing): fail what waits rather than leave it hanging.
        List<PendingWrite<?>> abandoned;
        synchronized (pending) {
          abandoned = new ArrayList<>(pending);
          pending.clear();
          writerScheduled = false;
        }
        abandoned.forEach(write -> write.promise().tryFail(new IllegalStateException("the store is closed", gone)));
      }
    }
    return promise.future();
  }

  /** On the writer thread: commits what is waiting, a group at a time, until nothing is. */
  private void drainWrites() {
    while (true) {
      List<PendingWrite<?>> group = new ArrayList<>();
      synchronized (pending) {
        while (!pending.isEmpty() && group.size() < MAX_GROUP) {
          group.add(pending.poll());
        }
        if (group.isEmpty()) {
          writerScheduled = false;
          return;
        }
      }
      commitGroup(group);
    }
  }

  private void commitGroup(List<PendingWrite<?>> group) {
    List<Object> results = new ArrayList<>(group.size());
    List<FencedException> refusals = new ArrayList<>(group.size());
    try {
      Connection connection = writer();
      // One read of the newest epoch, inside the group's transaction, fences all of its writes.
      Long newestEpoch = fence.armed() && group.stream().anyMatch(PendingWrite::fenced) ? newestEpoch(connection) : null;
      for (PendingWrite<?> write : group) {
        FencedException refused = null;
        if (write.fenced() && newestEpoch != null) {
          try {
            fence.check(newestEpoch);
          } catch (FencedException fencedOff) {
            refused = fencedOff;
          }
        }
        refusals.add(refused);
        results.add(refused == null ? write.body().run(connection) : null);
      }
      connection.commit();
      sync(connection);
    } catch (Exception failure) {
      abandonWriter();
      if (group.size() == 1) {
        answer(group.get(0), null, failure);
        return;
      }
      // One of them failed the group: give each its own transaction, so only that one fails.
      for (PendingWrite<?> write : group) {
        commitGroup(List.of(write));
      }
      return;
    }
    groups.incrementAndGet();
    grouped.addAndGet(group.size());
    for (int i = 0; i < group.size(); i++) {
      answer(group.get(i), results.get(i), refusals.get(i));
    }
  }

  private static long newestEpoch(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(StoreSql.NEWEST_EPOCH)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void answer(PendingWrite<T> write, Object result, Throwable failure) {
    write.context().runOnContext(v -> {
      if (failure == null) {
        write.promise().complete((T) result);
      } else {
        write.promise().fail(failure);
      }
    });
  }

  /** Forces what was committed to disk, when asked to (H2 writes its commits to the file, but does not fsync them). */
  private void sync(Connection connection) throws SQLException {
    if (syncCommits) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CHECKPOINT SYNC");
      }
    }
  }

  /** Writes committed so far, and in how many groups (for benchmarks and tests). */
  public long[] groupCommits() {
    return new long[] {grouped.get(), groups.get()};
  }

  private Connection writer() throws SQLException {
    if (writer == null || writer.isClosed()) {
      prepared.clear();
      writer = dataSource.getConnection();
      writer.setAutoCommit(false);
    }
    return writer;
  }

  /** After a failure: roll back, and a fresh connection and statements, so no half-built batch survives. */
  private void abandonWriter() {
    try {
      if (writer != null) {
        writer.rollback();
      }
    } catch (SQLException broken) {
      // the connection is gone; it is replaced below
    }
    closeWriter();
  }

  /** A statement of the writer's connection, prepared once. */
  private PreparedStatement statement(Connection connection, String sql, boolean generatedKeys) throws SQLException {
    PreparedStatement statement = prepared.get(sql);
    if (statement == null) {
      statement = generatedKeys ? connection.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)
          : connection.prepareStatement(sql);
      prepared.put(sql, statement);
    }
    return statement;
  }

  private void closeWriter() {
    try {
      if (writer != null) {
        writer.close();
      }
    } catch (SQLException e) {
      // already broken
    }
    writer = null;
    prepared.clear();
  }

  private <T> Future<T> write(Callable<T> work) {
    return writes.executeBlocking(work, true);
  }

  private <T> Future<T> read(Callable<T> work) {
    return reads.executeBlocking(work, false);
  }
}
