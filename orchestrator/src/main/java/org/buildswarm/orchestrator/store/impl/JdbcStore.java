package org.buildswarm.orchestrator.store.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.store.AttemptStatus;
import org.buildswarm.orchestrator.store.CreatedRun;
import org.buildswarm.orchestrator.store.DeploymentStatus;
import org.buildswarm.orchestrator.store.JobDuration;
import org.buildswarm.orchestrator.store.DroneStatus;
import org.buildswarm.orchestrator.store.FencedException;
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
 * The store over plain JDBC, on a worker pool so the event loop never waits on the database.
 * Writes run in submission order on one writer thread; reads run alongside them.
 *
 * <p>Writes are <b>group-committed</b>: whatever is waiting when the writer gets to it goes into
 * one transaction, committed and — for H2 — forced to disk with one {@code CHECKPOINT SYNC}, and
 * only then is any of them answered. So a write's future completes only once the change is on
 * disk (an acknowledgement never outruns the data), and the cost of the sync is shared by every
 * write that waited for it. A group that fails is undone and its writes are retried one by one, so
 * one bad write fails alone.
 *
 * <p>What it runs and what it makes of the rows are {@link StoreSql}'s and {@link StoreRows}', the
 * same as {@link PgStore}'s; this class only executes them.
 */
public final class JdbcStore implements Store {
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
      update(connection, StoreSql.MAKE_IDENTITY_ONCE, java.util.UUID.randomUUID().toString(), System.currentTimeMillis());
      return queryOne(connection, StoreSql.IDENTITY, row -> row.string(0)).orElseThrow();
    });
  }

  @Override
  public Future<Long> beginEpoch(String holder) {
    return transaction(connection -> {
      long epoch = queryOne(connection, StoreSql.NEXT_EPOCH, row -> row.longValue(0)).orElseThrow();
      update(connection, StoreSql.INSERT_EPOCH, epoch, holder, System.currentTimeMillis());
      return epoch;
    }).onSuccess(fence::begun);
  }

  @Override
  public Future<CreatedRun> createRun(NewRun run) {
    return fencedTransaction(connection -> {
      PreparedStatement insertRun = statement(connection, StoreSql.INSERT_RUN, true);
      bind(insertRun, StoreRows.run(run));
      insertRun.executeUpdate();
      long runId = generatedKey(insertRun);
      List<Long> jobIds = new ArrayList<>(run.jobs().size());
      PreparedStatement insertJob = statement(connection, StoreSql.INSERT_JOB, true);
      for (PlannedJob job : run.jobs()) {
        bind(insertJob, StoreRows.job(runId, job));
        insertJob.executeUpdate();
        jobIds.add(generatedKey(insertJob));
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
      LatestStatuses latest = LatestStatuses.of(changes);
      List<Object[]> jobs = new ArrayList<>(latest.jobs().size());
      latest.jobs().forEach((id, status) -> jobs.add(StoreRows.jobStatus(id, status)));
      batch(connection, StoreSql.UPDATE_JOB, jobs);
      List<Object[]> runs = new ArrayList<>(latest.runs().size());
      latest.runs().forEach((id, change) -> runs.add(StoreRows.runStatus(id, change)));
      batch(connection, StoreSql.UPDATE_RUN, runs);
      writeAttemptsAndDrones(connection, changes);
      writeDeployments(connection, changes);
      writeTestResults(connection, changes);
      return null;
    });
  }

  /** Each attempt's test results; a resent report's replace the first (they are the same). */
  private void writeTestResults(Connection connection, List<StateChange> changes) throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    for (StateChange change : changes) {
      if (change.tests() != null) {
        rows.add(StoreRows.testResult(change.tests()));
      }
    }
    batch(connection, REPLACE_TEST_RESULT, rows);
  }

  @Override
  public Future<Optional<JobTests>> testResults(long jobId, Integer attempt) {
    return attempt == null
        ? readOne(StoreSql.LATEST_TEST_RESULT, row -> StoreRows.testResult(jobId, row), jobId)
        : readOne(StoreSql.TEST_RESULT_OF_ATTEMPT, row -> StoreRows.testResult(jobId, row), jobId, attempt);
  }

  /** Jobs a job set added (inserted before any status of theirs is applied) and plans that now need them. */
  private void writeAddedJobs(Connection connection, List<StateChange> changes) throws SQLException {
    for (StateChange change : changes) {
      batch(connection, StoreSql.INSERT_ADDED_JOB, change.addedJobs().stream().map(StoreRows::addedJob).toList());
      batch(connection, StoreSql.UPDATE_JOB_PLAN, change.replannedJobs().stream().map(StoreRows::replannedJob).toList());
    }
  }

  /** Deploy history rows and environment pointers, in the order the changes happened. */
  private void writeDeployments(Connection connection, List<StateChange> changes) throws SQLException {
    for (StateChange change : changes) {
      DeploymentStatus deployment = change.deployment();
      if (deployment == null) {
        continue;
      }
      if (StoreRows.startsDeployment(deployment)) {
        update(connection, StoreSql.INSERT_DEPLOYMENT, StoreRows.deployment(deployment));
      } else {
        update(connection, StoreSql.END_DEPLOYMENT, StoreRows.deploymentEnd(deployment));
      }
      if (deployment.state().movesPointer()
          && update(connection, StoreSql.MOVE_POINTER, StoreRows.pointerMove(deployment)) == 0) {
        update(connection, StoreSql.FIRST_POINTER, StoreRows.firstPointer(deployment));
      }
    }
  }

  @Override
  public Future<List<EnvironmentView>> environments() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection()) {
        return EnvironmentView.withDeploying(query(connection, StoreSql.ENVIRONMENTS, StoreRows::environment),
            query(connection, StoreSql.STARTED_DEPLOYMENTS, StoreRows::startedDeployment));
      }
    });
  }

  @Override
  public Future<List<DeploymentView>> deployments(String project, String environment, int limit) {
    return readAll(StoreSql.DEPLOYMENTS_OF_ENVIRONMENT, StoreRows::deployment, project, environment, limit);
  }

  /** Each attempt of the batch is written once, as the batch leaves it; a drone row is replaced by its latest. */
  private void writeAttemptsAndDrones(Connection connection, List<StateChange> changes) throws SQLException {
    List<AttemptStatus> attempts = new ArrayList<>(AttemptStatus.latest(changes));
    if (!attempts.isEmpty()) {
      int[] updated = batch(connection, StoreSql.UPDATE_ATTEMPT,
          attempts.stream().map(StoreRows::attemptUpdate).toList());
      List<Object[]> inserts = new ArrayList<>();
      for (int i = 0; i < attempts.size(); i++) {
        if (updated[i] == 0) {
          inserts.add(StoreRows.attempt(attempts.get(i)));
        }
      }
      batch(connection, StoreSql.INSERT_ATTEMPT, inserts);
    }
    for (StateChange change : changes) {
      if (change.drone() != null) {
        update(connection, REPLACE_DRONE, StoreRows.drone(change.drone()));
      }
    }
  }

  @Override
  public Future<List<AttemptStatus>> attempts(long jobId) {
    return readAll(StoreSql.ATTEMPTS_OF_JOB, StoreRows::attempt, jobId);
  }

  @Override
  public Future<List<JobDuration>> recentDurations(int limit) {
    return this.<JobDuration>readAll(StoreSql.RECENT_DURATIONS, StoreRows::duration, limit).map(newestFirst -> {
      List<JobDuration> oldestFirst = new ArrayList<>(newestFirst);
      java.util.Collections.reverse(oldestFirst);
      return oldestFirst;
    });
  }

  @Override
  public Future<List<DroneStatus>> drones() {
    return readAll(StoreSql.DRONES, StoreRows::drone);
  }

  @Override
  public Future<List<StoredRun>> loadActiveRuns() {
    return read(() -> {
      try (Connection connection = dataSource.getConnection()) {
        return withJobs(connection, query(connection, StoreSql.ACTIVE_RUNS, StoreRows::run));
      }
    });
  }

  @Override
  public Future<Optional<StoredRun>> findRun(long runId) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection()) {
        List<StoredRun> run = withJobs(connection, query(connection, StoreSql.RUN, StoreRows::run, runId));
        return run.stream().findFirst();
      }
    });
  }

  @Override
  public Future<Optional<PipelineText>> findPipeline(long runId) {
    return readOne(StoreSql.RUN, StoreRows::pipeline, runId);
  }

  @Override
  public Future<RunPage> listRuns(RunQuery runQuery) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection()) {
        List<StoredRun> runs = query(connection, StoreSql.runPage(runQuery), StoreRows::run,
            StoreSql.runPageParameters(runQuery).toArray());
        StoreRows.Listed listed = StoreRows.listed(runQuery, runs);
        return StoreRows.page(listed, listed.runs().isEmpty() ? List.of() : jobCounts(connection, listed.runs()));
      }
    });
  }

  @Override
  public Future<List<EventRecord>> events(long runId, long afterSeq, int limit) {
    return readAll(StoreSql.EVENTS_AFTER, StoreRows::event, runId, afterSeq, limit);
  }

  @Override
  public Future<Boolean> saveToken(String tokenSha256, String name, Role role) {
    return transaction(connection ->
        update(connection, INSERT_TOKEN, tokenSha256, name, role.name(), System.currentTimeMillis()) == 1);
  }

  @Override
  public Future<Map<String, String>> discoveredHeads(String project) {
    return this.<Map.Entry<String, String>>readAll(StoreSql.DISCOVERED_HEADS,
        row -> Map.entry(row.string(0), row.string(1)), project).map(StoreRows::sortedMap);
  }

  @Override
  public Future<Void> saveDiscoveredHead(String project, String ref, String sha) {
    return transaction(connection -> {
      update(connection, REPLACE_DISCOVERED_HEAD, project, ref, sha, System.currentTimeMillis());
      return null;
    });
  }

  @Override
  public Future<Map<String, Long>> scheduleFires(String project) {
    return this.<Map.Entry<String, Long>>readAll(StoreSql.SCHEDULE_FIRES,
        row -> Map.entry(row.string(0), row.longValue(1)), project).map(StoreRows::sortedMap);
  }

  @Override
  public Future<Void> saveScheduleFire(String project, String expression, long firedAt) {
    return transaction(connection -> {
      update(connection, REPLACE_SCHEDULE_FIRE, project, expression, firedAt);
      return null;
    });
  }

  @Override
  public Future<Boolean> recordDelivery(String deliveryId) {
    return transaction(connection -> update(connection, INSERT_DELIVERY, deliveryId, System.currentTimeMillis()) == 1);
  }

  @Override
  public Future<List<TokenSummary>> listTokens() {
    return readAll(StoreSql.TOKENS, StoreRows::token);
  }

  @Override
  public Future<Boolean> deleteToken(String name) {
    return transaction(connection -> update(connection, StoreSql.DELETE_TOKEN, name) == 1);
  }

  @Override
  public Future<Optional<TokenInfo>> findToken(String tokenSha256) {
    return readOne(StoreSql.TOKEN_BY_HASH, StoreRows::tokenInfo, tokenSha256);
  }

  @Override
  public Future<Boolean> hasTokens() {
    return this.<Long>readOne(StoreSql.COUNT_TOKENS, row -> row.longValue(0)).map(count -> count.orElse(0L) > 0);
  }

  /** The runs with their jobs, read in one query. */
  private List<StoredRun> withJobs(Connection connection, List<StoredRun> runs) throws SQLException {
    if (runs.isEmpty()) {
      return List.of();
    }
    return StoreRows.withJobs(runs, query(connection, StoreSql.JOBS_OF_RUNS, StoreRows::job, (Object) StoreRows.ids(runs)));
  }

  private static List<StoreRows.JobCount> jobCounts(Connection connection, List<StoredRun> runs) throws SQLException {
    return query(connection, StoreSql.JOB_COUNTS_OF_RUNS, StoreRows::jobCount, (Object) StoreRows.ids(runs));
  }

  private void insertEvents(Connection connection, List<StateChange> changes) throws SQLException {
    batch(connection, StoreSql.INSERT_EVENT, changes.stream().map(StoreRows::event).toList());
  }

  // --- executing: the writer's statements are prepared once, reads use a pooled connection each ---

  /** Runs one of the writer's statements once; the rows it changed. */
  private int update(Connection connection, String sql, Object... parameters) throws SQLException {
    PreparedStatement statement = statement(connection, sql, false);
    bind(statement, parameters);
    return statement.executeUpdate();
  }

  /** Runs one of the writer's statements for each row of parameters, as one batch; each one's count. */
  private int[] batch(Connection connection, String sql, List<Object[]> rows) throws SQLException {
    if (rows.isEmpty()) {
      return new int[0];
    }
    PreparedStatement statement = statement(connection, sql, false);
    for (Object[] row : rows) {
      bind(statement, row);
      statement.addBatch();
    }
    return statement.executeBatch();
  }

  private static void bind(PreparedStatement statement, Object[] parameters) throws SQLException {
    for (int i = 0; i < parameters.length; i++) {
      statement.setObject(i + 1, parameters[i]);
    }
  }

  private static <T> List<T> query(Connection connection, String sql, java.util.function.Function<StoreRows.Columns, T> row,
      Object... parameters) throws SQLException {
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      bind(query, parameters);
      List<T> found = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        ResultSetColumns columns = new ResultSetColumns(rows);
        while (rows.next()) {
          found.add(row.apply(columns));
        }
      }
      return found;
    }
  }

  private static <T> Optional<T> queryOne(Connection connection, String sql,
      java.util.function.Function<StoreRows.Columns, T> row, Object... parameters) throws SQLException {
    return query(connection, sql, row, parameters).stream().findFirst();
  }

  /** A query on a pooled connection, off the writer. */
  private <T> Future<List<T>> readAll(String sql, java.util.function.Function<StoreRows.Columns, T> row,
      Object... parameters) {
    return read(() -> {
      try (Connection connection = dataSource.getConnection()) {
        return query(connection, sql, row, parameters);
      }
    });
  }

  private <T> Future<Optional<T>> readOne(String sql, java.util.function.Function<StoreRows.Columns, T> row,
      Object... parameters) {
    return this.<T>readAll(sql, row, parameters).map(found -> found.stream().findFirst());
  }

  private static long generatedKey(Statement statement) throws SQLException {
    try (ResultSet keys = statement.getGeneratedKeys()) {
      keys.next();
      return keys.getLong(1);
    }
  }

  /** A JDBC row as {@link StoreRows.Columns}: positions from 0, and a SQL NULL as null rather than 0. */
  private record ResultSetColumns(ResultSet rows) implements StoreRows.Columns {
    @Override
    public String string(String column) {
      return read(() -> rows.getString(column));
    }

    @Override
    public String string(int position) {
      return read(() -> rows.getString(position + 1));
    }

    @Override
    public Long longValue(String column) {
      return read(() -> orNull(rows.getLong(column)));
    }

    @Override
    public Long longValue(int position) {
      return read(() -> orNull(rows.getLong(position + 1)));
    }

    @Override
    public Integer integer(String column) {
      return read(() -> orNull(rows.getInt(column)));
    }

    @Override
    public Integer integer(int position) {
      return read(() -> orNull(rows.getInt(position + 1)));
    }

    @Override
    public boolean bool(String column) {
      return read(() -> rows.getBoolean(column));
    }

    @Override
    public boolean bool(int position) {
      return read(() -> rows.getBoolean(position + 1));
    }

    /** The value just read, or null if the column was SQL NULL (JDBC reads it as 0). */
    private <T> T orNull(T value) throws SQLException {
      return rows.wasNull() ? null : value;
    }

    private interface Column<T> {
      T read() throws SQLException;
    }

    private static <T> T read(Column<T> column) {
      try {
        return column.read();
      } catch (SQLException e) {
        throw new IllegalStateException("unreadable row: " + e.getMessage(), e);
      }
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
