package org.buildswarm.orchestrator.store;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.buildswarm.protocol.api.DeploymentView;
import org.buildswarm.protocol.api.EnvironmentView;
import org.buildswarm.protocol.api.EventRecord;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.TokenSummary;

/**
 * Durable state of the swarm. Two implementations pass one contract suite: an embedded H2 file
 * (the single-host default) and PostgreSQL (production). Every method completes off the event
 * loop; callers compose the futures.
 */
public interface Store {
  /** Opens the store and brings its schema to the current version. */
  Future<Void> start();

  /** Closes connections; pending writes complete first. */
  Future<Void> close();

  /** What it is, for people and logs (no password): {@code embedded H2 in /var/lib/…}, {@code PostgreSQL …}. */
  String description();

  /**
   * This store's identity, made once when it is first used and kept: orchestrators sharing a store
   * see the same one.
   */
  Future<String> identity();

  /** Starts a new orchestrator epoch: strictly greater than every epoch before it. */
  Future<Long> beginEpoch(String holder);

  /**
   * Stores a run, its jobs and a {@code run.created} event in one transaction. Completes once the
   * run is on disk: acknowledge the submission only then.
   */
  Future<CreatedRun> createRun(NewRun run);

  /** Appends events and applies the statuses they carry, in order, in one transaction; completes once on disk. */
  Future<Void> append(List<StateChange> changes);

  /** Runs that have not finished, with all their jobs: what a restarting orchestrator resumes. */
  Future<List<StoredRun>> loadActiveRuns();

  /** One run with its jobs, or empty. */
  Future<Optional<StoredRun>> findRun(long runId);

  /** The pipeline file a run was submitted with, or empty if there is no such run. */
  Future<Optional<PipelineText>> findPipeline(long runId);

  /** The commit last seen on each ref of a project by work discovery (ref → sha). */
  Future<Map<String, String>> discoveredHeads(String project);

  /** Records the commit now seen on a ref of a project. */
  Future<Void> saveDiscoveredHead(String project, String ref, String sha);

  /** When each schedule of a project last started a run (cron expression → epoch ms). */
  Future<Map<String, Long>> scheduleFires(String project);

  /** Records that a schedule started a run. */
  Future<Void> saveScheduleFire(String project, String expression, long firedAt);

  /** Records a webhook delivery id; false if it was recorded before (a replay). */
  Future<Boolean> recordDelivery(String deliveryId);

  /**
   * Every environment's pointer (what it runs now and ran before) and the run whose deploy to it
   * was started and has not ended, by project and name; without history, which the caller adds.
   */
  Future<List<EnvironmentView>> environments();

  /** An environment's deploys and pointer moves, newest first. */
  Future<List<DeploymentView>> deployments(String project, String environment, int limit);

  /** Runs newest first, with job counts. */
  Future<RunPage> listRuns(RunQuery query);

  /** A run's events in log order, after {@code afterSeq}. */
  Future<List<EventRecord>> events(long runId, long afterSeq, int limit);

  /** A job's attempts, oldest first. */
  Future<List<AttemptStatus>> attempts(long jobId);

  /**
   * An attempt's test results (stored with its final report), or empty when it has none.
   *
   * @param attempt null for the latest attempt that has results
   */
  Future<Optional<org.buildswarm.protocol.api.JobTests>> testResults(long jobId, Integer attempt);

  /**
   * How long the newest successful attempts that ran their steps took (a result reused from the
   * cache took no build time), at most {@code limit}, oldest first.
   */
  Future<List<JobDuration>> recentDurations(int limit);

  /** Every drone ever registered, with the mode an operator set. */
  Future<List<DroneStatus>> drones();

  /**
   * Saves an API token by its SHA-256 (hex); the raw token is never stored. Completes with false,
   * saving nothing, if a token of that name exists.
   */
  Future<Boolean> saveToken(String tokenSha256, String name, Role role);

  /** API tokens, oldest first: names and roles, never hashes. */
  Future<List<TokenSummary>> listTokens();

  /**
   * Deletes the token named, unless it is the last admin token. Completes with false if nothing
   * was deleted (no such token, or the last admin).
   */
  Future<Boolean> deleteToken(String name);

  Future<Optional<TokenInfo>> findToken(String tokenSha256);

  /** Whether any API token exists (a fresh store has none). */
  Future<Boolean> hasTokens();
}
