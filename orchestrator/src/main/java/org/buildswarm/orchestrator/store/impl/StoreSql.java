package org.buildswarm.orchestrator.store.impl;

import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.api.RunQuery;

/**
 * The statements both stores run, written once with JDBC's {@code ?} placeholders and grouped by
 * what they keep: the store's identity and epochs, runs and jobs, attempts and drones, events,
 * test results, deploys, tokens, discovery. {@link Dialect} numbers the placeholders for
 * PostgreSQL and writes the few statements the two databases say differently.
 */
final class StoreSql {
  private StoreSql() {}

  /** A table's rows as a statement that inserts or replaces one writes them: by key, all columns given. */
  record Rows(String table, List<String> key, List<String> columns) {}

  // --- identity and epochs (the fence behind the leader lock) ---

  static final String MAKE_IDENTITY_ONCE = "INSERT INTO store_identity (id, created_at) SELECT ?, ?"
      + " WHERE NOT EXISTS (SELECT 1 FROM store_identity)";
  static final String IDENTITY = "SELECT id FROM store_identity ORDER BY created_at, id LIMIT 1";
  static final String NEXT_EPOCH = "SELECT COALESCE(MAX(epoch), 0) + 1 FROM epochs";
  static final String NEWEST_EPOCH = "SELECT COALESCE(MAX(epoch), 0) FROM epochs";
  static final String INSERT_EPOCH = "INSERT INTO epochs (epoch, holder, started_at) VALUES (?, ?, ?)";

  // --- runs and jobs ---

  static final String INSERT_RUN = "INSERT INTO runs (project, pipeline_name, pipeline_file, pipeline_yaml,"
      + " source_json, trigger_kind, requested_by, state, created_at, concurrency_group, cancel_in_progress, branch)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  static final String UPDATE_RUN = "UPDATE runs SET state = ?, finished_at = ? WHERE id = ?";
  static final String ACTIVE_RUNS = "SELECT * FROM runs WHERE state IN ('QUEUED', 'RUNNING') ORDER BY id";
  static final String RUN = "SELECT * FROM runs WHERE id = ?";
  /** A planned job; the store gives it its id. */
  static final String INSERT_JOB = "INSERT INTO jobs (run_id, position, name, plan_json, state, job_group)"
      + " VALUES (?, ?, ?, ?, ?, ?)";
  /** A job a job set added: the core gave it its id already. */
  static final String INSERT_ADDED_JOB = "INSERT INTO jobs (id, run_id, position, name, plan_json, state, job_group)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?)";
  static final String UPDATE_JOB_PLAN = "UPDATE jobs SET plan_json = ? WHERE id = ?";
  static final String UPDATE_JOB = "UPDATE jobs SET state = ?, attempt = ?, token = ?, drone = ?, retries_used = ?,"
      + " infra_retries_used = ?, exit_code = ?, failed_step = ?, log_tail_json = ?, reason = ?, queued_at = ?,"
      + " started_at = ?, finished_at = ?, tests_json = ?, cache_json = ? WHERE id = ?";
  /** The jobs of the runs in an array parameter. */
  static final String JOBS_OF_RUNS = "SELECT * FROM jobs WHERE run_id = ANY(?) ORDER BY run_id, position";
  static final String JOB_COUNTS_OF_RUNS = "SELECT run_id, state, COUNT(*) FROM jobs WHERE run_id = ANY(?)"
      + " GROUP BY run_id, state";
  /** Longest reason stored with a job (a step's output can make it huge). */
  static final int MAX_REASON = 2000;

  /** A page of runs, newest first, with one more than asked for (so the caller knows a next page exists). */
  static String runPage(RunQuery query) {
    StringBuilder sql = new StringBuilder("SELECT * FROM runs WHERE id < ?");
    if (query.project() != null) {
      sql.append(" AND project = ?");
    }
    if (query.branch() != null) {
      sql.append(" AND branch = ?");
    }
    if (query.state() != null) {
      sql.append(" AND state = ?");
    }
    return sql.append(" ORDER BY id DESC LIMIT ?").toString();
  }

  /** {@link #runPage}'s parameters, in order. */
  static List<Object> runPageParameters(RunQuery query) {
    List<Object> parameters = new ArrayList<>(5);
    parameters.add(query.before() == null ? Long.MAX_VALUE : query.before());
    if (query.project() != null) {
      parameters.add(query.project());
    }
    if (query.branch() != null) {
      parameters.add(query.branch());
    }
    if (query.state() != null) {
      parameters.add(query.state().name());
    }
    parameters.add(query.limit() + 1);
    return parameters;
  }

  static String abbreviatedReason(String reason) {
    return reason == null || reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON - 3) + "...";
  }

  // --- attempts and drones ---

  static final String UPDATE_ATTEMPT = "UPDATE attempts SET started_at = COALESCE(?, started_at),"
      + " ended_at = COALESCE(?, ended_at), outcome = COALESCE(?, outcome), exit_code = COALESCE(?, exit_code)"
      + " WHERE job_id = ? AND attempt = ?";
  static final String INSERT_ATTEMPT = "INSERT INTO attempts (job_id, attempt, token, drone, assigned_at, started_at,"
      + " ended_at, outcome, exit_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  static final String ATTEMPTS_OF_JOB = "SELECT job_id, attempt, token, drone, assigned_at, started_at, ended_at,"
      + " outcome, exit_code FROM attempts WHERE job_id = ? ORDER BY attempt";
  /**
   * The newest successful attempts that ran their steps, newest first, at most the parameter. A
   * job's cache result names the run it came from only when it was reused.
   */
  static final String RECENT_DURATIONS = "SELECT r.project, j.job_group, a.ended_at - a.started_at"
      + " FROM attempts a JOIN jobs j ON j.id = a.job_id JOIN runs r ON r.id = j.run_id"
      + " WHERE a.outcome = 'SUCCEEDED' AND a.started_at IS NOT NULL AND a.ended_at IS NOT NULL"
      + " AND j.job_group IS NOT NULL AND (j.cache_json IS NULL OR j.cache_json NOT LIKE '%\"fromRun\"%')"
      + " ORDER BY a.ended_at DESC LIMIT ?";
  static final Rows DRONE_ROWS = new Rows("drones", List.of("name"),
      List.of("name", "host", "cores", "labels_json", "operator_mode", "last_seen_at"));
  static final String DRONES = "SELECT name, host, cores, labels_json, operator_mode, last_seen_at FROM drones ORDER BY name";

  // --- events ---

  static final String INSERT_EVENT = "INSERT INTO events (at, run_id, job_id, type, data_json) VALUES (?, ?, ?, ?, ?)";
  static final String EVENTS_AFTER = "SELECT seq, at, run_id, job_id, type, data_json FROM events"
      + " WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?";

  // --- test results ---

  static final Rows TEST_RESULT_ROWS = new Rows("test_results", List.of("job_id", "attempt"),
      List.of("job_id", "attempt", "summary_json", "failures_json", "truncated"));
  static final String LATEST_TEST_RESULT = "SELECT attempt, summary_json, failures_json, truncated FROM test_results"
      + " WHERE job_id = ? ORDER BY attempt DESC LIMIT 1";
  static final String TEST_RESULT_OF_ATTEMPT = "SELECT attempt, summary_json, failures_json, truncated FROM test_results"
      + " WHERE job_id = ? AND attempt = ?";

  // --- deploys and environment pointers ---

  static final String INSERT_DEPLOYMENT = "INSERT INTO deployments (project, environment, run_id, version,"
      + " previous_version, state, started_at, finished_at, requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  static final String END_DEPLOYMENT = "UPDATE deployments SET state = ?, finished_at = ?"
      + " WHERE project = ? AND environment = ? AND run_id = ? AND state = 'STARTED'";
  /** Moves an environment's pointer, keeping what it pointed at as the previous version. */
  static final String MOVE_POINTER = "UPDATE environments SET previous_version = current_version,"
      + " previous_run = current_run, current_version = ?, current_run = ?, updated_at = ? WHERE project = ? AND name = ?";
  static final String FIRST_POINTER = "INSERT INTO environments (project, name, current_version, current_run, updated_at)"
      + " VALUES (?, ?, ?, ?, ?)";
  static final String ENVIRONMENTS = "SELECT project, name, current_version, current_run, previous_version,"
      + " previous_run, updated_at FROM environments ORDER BY project, name";
  static final String STARTED_DEPLOYMENTS = "SELECT project, environment, run_id, started_at FROM deployments"
      + " WHERE state = 'STARTED' ORDER BY id";
  static final String DEPLOYMENTS_OF_ENVIRONMENT = "SELECT id, project, environment, run_id, version, previous_version,"
      + " state, started_at, finished_at, requested_by FROM deployments WHERE project = ? AND environment = ?"
      + " ORDER BY id DESC LIMIT ?";

  // --- API tokens ---

  /** Keyed by name: a second token of a name is refused. */
  static final Rows TOKEN_ROWS = new Rows("api_tokens", List.of("name"),
      List.of("token_sha256", "name", "role", "created_at"));
  static final String TOKENS = "SELECT name, role, created_at FROM api_tokens ORDER BY created_at, name";
  /** Deletes a token unless it is the last admin token. */
  static final String DELETE_TOKEN = "DELETE FROM api_tokens WHERE name = ?"
      + " AND (role <> 'ADMIN' OR (SELECT COUNT(*) FROM api_tokens WHERE role = 'ADMIN') > 1)";
  static final String TOKEN_BY_HASH = "SELECT name, role FROM api_tokens WHERE token_sha256 = ?";
  static final String COUNT_TOKENS = "SELECT COUNT(*) FROM api_tokens";

  // --- work discovery ---

  static final String DISCOVERED_HEADS = "SELECT ref, sha FROM discovered_heads WHERE project = ?";
  static final Rows DISCOVERED_HEAD_ROWS = new Rows("discovered_heads", List.of("project", "ref"),
      List.of("project", "ref", "sha", "seen_at"));
  static final String SCHEDULE_FIRES = "SELECT expression, fired_at FROM schedule_fires WHERE project = ?";
  static final Rows SCHEDULE_FIRE_ROWS = new Rows("schedule_fires", List.of("project", "expression"),
      List.of("project", "expression", "fired_at"));
  static final Rows DELIVERY_ROWS = new Rows("webhook_deliveries", List.of("delivery_id"),
      List.of("delivery_id", "received_at"));
}
