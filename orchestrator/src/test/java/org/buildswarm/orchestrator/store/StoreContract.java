package org.buildswarm.orchestrator.store;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.orchestrator.plan.RunPlan;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.EventRecord;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every {@link Store} must do. Each implementation runs this suite through a thin subclass
 * that says how to open a fresh store (and how to open the same one again).
 */
@ExtendWith(VertxExtension.class)
public abstract class StoreContract {
  protected Vertx vertx;
  protected Store store;

  /** A new, empty store. */
  protected abstract Store createStore(Vertx vertx) throws Exception;

  /** The same store as the last {@link #createStore}, opened again (as after a restart). */
  protected abstract Store reopenStore(Vertx vertx) throws Exception;

  @BeforeEach
  void open(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    store = createStore(vertx);
    await(store.start());
  }

  @AfterEach
  void close() throws Exception {
    if (store != null) {
      await(store.close());
    }
  }

  protected static NewRun newRun(String project, String yaml) throws Exception {
    return newRun(project, yaml, new SourceSpec("directory", "/src", null));
  }

  protected static NewRun newRun(String project, String yaml, SourceSpec source) throws Exception {
    RunPlan plan = new Planner(PlannerOptions.defaults()).plan(new PipelineReader().read(".buildswarm.yml", yaml));
    return new NewRun(project, plan.pipelineName(), ".buildswarm.yml", yaml, source, Trigger.PUSH, "alice", 1_000,
        plan.jobs());
  }

  private static final String TWO_JOBS = "name: pair\njobs:\n  a: {steps: [x]}\n  b: {needs: a, cores: 3, steps: [y]}\n";

  @Test
  void theStoresIdentityIsMadeOnceAndKeptAcrossRestarts() throws Exception {
    String identity = await(store.identity());
    assertThat(identity).isNotBlank();
    assertThat(await(store.identity())).isEqualTo(identity);
    await(store.close());
    store = reopenStore(vertx);
    await(store.start());
    assertThat(await(store.identity())).isEqualTo(identity);
    assertThat(store.description()).isNotBlank();
  }

  @Test
  void writesInFlightTogetherAllCommitAndABadOneFailsAlone() throws Exception {
    List<Future<CreatedRun>> good = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      good.add(store.createRun(newRun("p" + i, TWO_JOBS)));
    }
    Future<CreatedRun> bad = store.createRun(newRun("x".repeat(5_000), TWO_JOBS)); // longer than any project column
    for (int i = 20; i < 30; i++) {
      good.add(store.createRun(newRun("p" + i, TWO_JOBS)));
    }
    java.util.Set<Long> ids = new java.util.HashSet<>();
    for (Future<CreatedRun> created : good) {
      ids.add(await(created).runId());
    }
    assertThat(ids).as("thirty runs, thirty ids").hasSize(30);
    assertThat(bad.toCompletionStage().toCompletableFuture().handle((run, failure) -> failure).get(30, TimeUnit.SECONDS))
        .as("the bad one fails").isNotNull();
    for (long id : ids) {
      assertThat(await(store.findRun(id))).as("run %d stored", id).isPresent();
    }
  }

  @Test
  void runsKeepTheirCommitAndTheListFiltersByProjectBranchAndState() throws Exception {
    SourceSpec.Commit commit = new SourceSpec.Commit("0123456789abcdef0123456789abcdef01234567", "Fix the build",
        "Ann <ann@example.org>");
    NewRun onMain = newRun("shop", TWO_JOBS,
        new SourceSpec(SourceSpec.GIT, "https://git.example.org/shop.git", commit.sha(), "refs/heads/main", commit));
    long main = await(store.createRun(onMain)).runId();
    long feature = await(store.createRun(newRun("shop", TWO_JOBS,
        new SourceSpec(SourceSpec.GIT, "https://git.example.org/shop.git", commit.sha(), "refs/heads/feature/x")))).runId();
    long other = await(store.createRun(newRun("docs", TWO_JOBS))).runId();
    await(store.append(List.of(StateChange.of(9, feature, null, EventType.RUN_FAILED, Map.of())
        .withRun(new RunStatus(RunState.FAILED, 9L)))));

    assertThat(await(store.findRun(main)).orElseThrow().source().commit()).isEqualTo(commit);
    RunPage all = await(store.listRuns(new RunQuery(10, null, null)));
    assertThat(all.runs()).extracting(RunSummary::id).containsExactly(other, feature, main);
    assertThat(all.runs().get(2).source().commit()).as("the list shows the commit").isEqualTo(commit);
    assertThat(await(store.listRuns(new RunQuery(10, null, "shop", "main", null))).runs())
        .extracting(RunSummary::id).containsExactly(main);
    assertThat(await(store.listRuns(new RunQuery(10, null, "shop", "feature/x", null))).runs())
        .extracting(RunSummary::id).containsExactly(feature);
    assertThat(await(store.listRuns(new RunQuery(10, null, null, null, RunState.FAILED))).runs())
        .extracting(RunSummary::id).containsExactly(feature);
    assertThat(await(store.listRuns(new RunQuery(10, null, "shop", "main", RunState.FAILED))).runs()).isEmpty();
    RunPage first = await(store.listRuns(new RunQuery(1, null, "shop", null, null)));
    assertThat(first.runs()).extracting(RunSummary::id).containsExactly(feature);
    assertThat(await(store.listRuns(new RunQuery(1, first.nextBefore(), "shop", null, null))).runs())
        .as("the next page, same filters").extracting(RunSummary::id).containsExactly(main);
  }

  @Test
  void closingCommitsWhatWasAcceptedAndRefusesWhatComesAfter() throws Exception {
    List<Future<CreatedRun>> accepted = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      accepted.add(store.createRun(newRun("p", TWO_JOBS)));
    }
    Future<Void> closed = store.close();
    for (Future<CreatedRun> run : accepted) {
      assertThat(await(run).jobIds()).as("accepted before the close, so committed").hasSize(2);
    }
    await(closed);
    Future<CreatedRun> late = store.createRun(newRun("p", TWO_JOBS));
    assertThat(late.toCompletionStage().toCompletableFuture().handle((run, failure) -> failure).get(30, TimeUnit.SECONDS))
        .as("a write after the close fails rather than waits for ever").isNotNull();
    store = reopenStore(vertx);
    await(store.start());
    for (Future<CreatedRun> run : accepted) {
      assertThat(await(store.findRun(await(run).runId()))).as("still there after reopening").isPresent();
    }
  }

  @Test
  void storesARunWithItsJobsAndACreatedEvent() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    assertThat(created.jobIds()).hasSize(2);
    StoredRun run = await(store.findRun(created.runId())).orElseThrow();
    assertThat(run.project()).isEqualTo("p");
    assertThat(run.pipelineName()).isEqualTo("pair");
    assertThat(run.trigger()).isEqualTo(Trigger.PUSH);
    assertThat(run.source()).isEqualTo(new SourceSpec("directory", "/src", null));
    assertThat(run.state()).isEqualTo(RunState.QUEUED);
    assertThat(run.jobs()).extracting(StoredJob::id).containsExactlyElementsOf(created.jobIds());
    assertThat(run.jobs()).extracting(job -> job.status().state()).containsExactly(JobState.QUEUED, JobState.WAITING);
    assertThat(run.jobs().get(1).plan().cores()).isEqualTo(3);
    assertThat(run.jobs().get(1).plan().needs()).containsExactly(0);
    List<EventRecord> events = await(store.events(created.runId(), 0, 100));
    assertThat(events).extracting(EventRecord::type).containsExactly("run.created");
    assertThat(events.get(0).jobId()).isNull();
    assertThat(events.get(0).data()).containsEntry("requestedBy", "alice");
  }

  @Test
  void appendWritesEventsInOrderAndKeepsTheLatestStatus() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    long a = created.jobIds().get(0);
    JobStatus assigned = new JobStatus(JobState.ASSIGNED, 1, 99, "d1", 0, 0, null, null, List.of(), null, 5L, null, null);
    JobStatus failed = new JobStatus(JobState.FAILED, 1, 99, "d1", 0, 1, 2, "make", List.of("boom"), "it broke", 5L, 6L, 7L);
    await(store.append(List.of(
        StateChange.of(5, created.runId(), a, EventType.JOB_ASSIGNED, Map.of("drone", "d1"))
            .withJob(assigned)
            .withRun(new RunStatus(RunState.RUNNING, null)),
        StateChange.of(7, created.runId(), a, EventType.JOB_FAILED, Map.of("reason", "it broke")).withJob(failed),
        StateChange.of(8, created.runId(), null, EventType.RUN_FAILED, Map.of())
            .withRun(new RunStatus(RunState.FAILED, 8L)))));
    StoredRun run = await(store.findRun(created.runId())).orElseThrow();
    assertThat(run.state()).isEqualTo(RunState.FAILED);
    assertThat(run.finishedAt()).isEqualTo(8L);
    assertThat(run.jobs().get(0).status()).isEqualTo(failed);
    List<EventRecord> events = await(store.events(created.runId(), 0, 100));
    assertThat(events).extracting(EventRecord::type).containsExactly("run.created", "job.assigned", "job.failed", "run.failed");
    assertThat(events).extracting(EventRecord::seq).isSorted();
    assertThat(await(store.events(created.runId(), events.get(1).seq(), 100))).hasSize(2);
  }

  @Test
  void jobsAddedByAJobSetAreStoredWithTheirChangeAndTheirDependentsReplanned() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    StoredRun before = await(store.findRun(created.runId())).orElseThrow();
    StoredJob dependent = before.jobs().get(1);
    JobStatus waiting = new JobStatus(JobState.WAITING, 0, 0, null, 0, 0, null, null, List.of(), null, null, null, null);
    StoredJob added = new StoredJob((7L << 32) | 1, created.runId(), dependent.plan().at(2, List.of(0)), waiting);
    StoredJob replanned = new StoredJob(dependent.id(), created.runId(), dependent.plan().withNeeds(List.of(0, 2)),
        dependent.status());
    JobStatus queued = new JobStatus(JobState.QUEUED, 0, 0, null, 0, 0, null, null, List.of(), null, 9L, null, null);
    await(store.append(List.of(
        StateChange.of(9, created.runId(), before.jobs().get(0).id(), EventType.RUN_EXTENDED, Map.of("jobs", 1))
            .withJobsAdded(List.of(added), List.of(replanned)),
        StateChange.of(9, created.runId(), added.id(), EventType.JOB_QUEUED, Map.of()).withJob(queued))));

    StoredRun after = await(store.findRun(created.runId())).orElseThrow();
    assertThat(after.jobs()).extracting(StoredJob::id).containsExactly(before.jobs().get(0).id(), dependent.id(), added.id());
    assertThat(after.jobs().get(1).plan().needs()).containsExactly(0, 2);
    assertThat(after.jobs().get(2).plan().index()).isEqualTo(2);
    assertThat(after.jobs().get(2).status().state()).isEqualTo(JobState.QUEUED);
  }

  @Test
  void deploysKeepTheirHistoryAndMoveTheEnvironmentsPointer() throws Exception {
    await(store.append(List.of(
        deployment(1, "v1", null, DeploymentStatus.DeployState.STARTED, 10),
        deployment(1, "v1", null, DeploymentStatus.DeployState.SUCCEEDED, 11),
        deployment(2, "v2", "v1", DeploymentStatus.DeployState.STARTED, 12),
        deployment(2, "v2", "v1", DeploymentStatus.DeployState.SUCCEEDED, 13),
        deployment(3, "v3", "v2", DeploymentStatus.DeployState.STARTED, 14))));
    assertThat(await(store.environments())).singleElement().satisfies(environment -> {
      assertThat(environment.deployingRun()).as("run 3 is deploying").isEqualTo(3L);
      assertThat(environment.currentVersion()).isEqualTo("v2");
    });
    await(store.append(List.of(deployment(3, "v3", "v2", DeploymentStatus.DeployState.ROLLED_BACK, 15))));
    assertThat(await(store.environments())).singleElement().satisfies(environment -> {
      assertThat(environment.project()).isEqualTo("shop");
      assertThat(environment.currentVersion()).isEqualTo("v2");
      assertThat(environment.currentRun()).isEqualTo(2L);
      assertThat(environment.previousVersion()).isEqualTo("v1");
      assertThat(environment.deployingRun()).isNull();
    });
    await(store.append(List.of(StateChange.of(17, 9, null, EventType.DEPLOY_STARTED, Map.of())
        .withDeployment(new DeploymentStatus("shop", "stg", 9, "v9", null, DeploymentStatus.DeployState.STARTED, 17, null)))));
    assertThat(await(store.environments())).extracting(e -> e.name(), e -> e.currentVersion(), e -> e.deployingRun())
        .containsExactly(tuple("prod", "v2", null), tuple("stg", null, 9L));
    await(store.append(List.of(StateChange.of(16, 0, null, EventType.ENVIRONMENT_ACTIVATED, Map.of())
        .withDeployment(new DeploymentStatus("shop", "prod", 1, "v1", "v2", DeploymentStatus.DeployState.ACTIVATED, 16, "ops")))));

    assertThat(await(store.environments()).get(0).currentVersion()).isEqualTo("v1");
    assertThat(await(store.environments()).get(0).previousVersion()).isEqualTo("v2");
    assertThat(await(store.deployments("shop", "prod", 10)))
        .extracting(d -> d.version(), d -> d.state(), d -> d.finishedAt(), d -> d.requestedBy())
        .containsExactly(tuple("v1", "ACTIVATED", 16L, "ops"), tuple("v3", "ROLLED_BACK", 15L, null),
            tuple("v2", "SUCCEEDED", 13L, null), tuple("v1", "SUCCEEDED", 11L, null));
    assertThat(await(store.deployments("shop", "qa", 10))).isEmpty();
  }

  private static StateChange deployment(long run, String version, String previous, DeploymentStatus.DeployState state,
      long at) {
    return StateChange.of(at, run, null, EventType.fromWire("deploy." + state.name().toLowerCase()), Map.of())
        .withDeployment(new DeploymentStatus("shop", "prod", run, version, previous, state, at, null));
  }

  @Test
  void aRunKeepsItsConcurrencyGroup() throws Exception {
    NewRun plain = newRun("p", TWO_JOBS);
    NewRun grouped = new NewRun(plain.project(), plain.pipelineName(), plain.file(), plain.pipelineYaml(), plain.source(),
        plain.trigger(), plain.requestedBy(), plain.createdAt(), plain.jobs(), "deploy-main", true);
    StoredRun run = await(store.findRun(await(store.createRun(grouped)).runId())).orElseThrow();
    assertThat(run.concurrencyGroup()).isEqualTo("deploy-main");
    assertThat(run.cancelInProgress()).isTrue();
    assertThat(await(store.loadActiveRuns()).get(0).concurrencyGroup()).isEqualTo("deploy-main");
  }

  @Test
  void activeRunsAreThoseNotFinished() throws Exception {
    CreatedRun done = await(store.createRun(newRun("p", TWO_JOBS)));
    CreatedRun open = await(store.createRun(newRun("p", TWO_JOBS)));
    await(store.append(List.of(StateChange.of(9, done.runId(), null, EventType.RUN_SUCCEEDED, Map.of())
        .withRun(new RunStatus(RunState.SUCCEEDED, 9L)))));
    assertThat(await(store.loadActiveRuns())).extracting(StoredRun::id).containsExactly(open.runId());
    assertThat(await(store.loadActiveRuns()).get(0).jobs()).hasSize(2);
  }

  @Test
  void listsRunsNewestFirstInPagesWithJobCounts() throws Exception {
    for (int i = 0; i < 5; i++) {
      await(store.createRun(newRun(i % 2 == 0 ? "even" : "odd", TWO_JOBS)));
    }
    RunPage first = await(store.listRuns(new RunQuery(2, null, null)));
    assertThat(first.runs()).hasSize(2);
    assertThat(first.runs().get(0).id()).isGreaterThan(first.runs().get(1).id());
    assertThat(first.runs().get(0).jobCounts()).isEqualTo(Map.of(JobState.QUEUED, 1, JobState.WAITING, 1));
    RunPage second = await(store.listRuns(new RunQuery(2, first.nextBefore(), null)));
    assertThat(second.runs().get(0).id()).isLessThan(first.runs().get(1).id());
    RunPage last = await(store.listRuns(new RunQuery(2, second.nextBefore(), null)));
    assertThat(last.runs()).hasSize(1);
    assertThat(last.nextBefore()).isNull();
    assertThat(await(store.listRuns(new RunQuery(10, null, "even"))).runs()).hasSize(3);
  }

  @Test
  void attemptsAreOpenedUpdatedAndClosedInOrder() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    long a = created.jobIds().get(0);
    JobStatus status = new JobStatus(JobState.RUNNING, 1, 11, "d1", 0, 0, null, null, List.of(), null, 1L, 2L, null);
    await(store.append(List.of(
        StateChange.of(1, created.runId(), a, EventType.JOB_ASSIGNED, Map.of())
            .withJob(status)
            .withAttempt(new AttemptStatus(a, 1, 11, "d1", 1, null, null, null, null)),
        StateChange.of(2, created.runId(), a, EventType.JOB_STARTED, Map.of())
            .withJob(status)
            .withAttempt(new AttemptStatus(a, 1, 11, "d1", 1, 2L, null, null, null)))));
    await(store.append(List.of(
        StateChange.of(3, created.runId(), a, EventType.JOB_REQUEUED, Map.of())
            .withJob(status)
            .withAttempt(new AttemptStatus(a, 1, 11, "d1", 999, null, 3L, "LOST", null)),
        StateChange.of(4, created.runId(), a, EventType.JOB_ASSIGNED, Map.of())
            .withJob(status)
            .withAttempt(new AttemptStatus(a, 2, 12, "d2", 4, null, null, null, null)),
        StateChange.of(5, created.runId(), a, EventType.JOB_FAILED, Map.of())
            .withJob(status)
            .withAttempt(new AttemptStatus(a, 2, 12, "d2", 4, 4L, 5L, "FAILED", 2)))));
    assertThat(await(store.attempts(a))).containsExactly(
        new AttemptStatus(a, 1, 11, "d1", 1, 2L, 3L, "LOST", null),
        new AttemptStatus(a, 2, 12, "d2", 4, 4L, 5L, "FAILED", 2));
    assertThat(await(store.attempts(created.jobIds().get(1)))).isEmpty();
  }

  @Test
  void howLongJobsTookIsReadBackNewestAttemptsFirstButReturnedOldestFirstAndSurvivesAReopen() throws Exception {
    String matrix = "name: m\njobs:\n  build:\n    matrix: {os: [linux, bsd]}\n    steps: [x]\n  lint: {steps: [y]}\n"
        + "  pack: {steps: [z]}\n";
    CreatedRun first = await(store.createRun(newRun("p", matrix)));
    CreatedRun other = await(store.createRun(newRun("q", TWO_JOBS)));
    long linux = first.jobIds().get(0);
    long bsd = first.jobIds().get(1);
    long lint = first.jobIds().get(2);
    long pack = first.jobIds().get(3);
    long a = other.jobIds().get(0);
    JobStatus running = new JobStatus(JobState.RUNNING, 1, 11, "d1", 0, 0, null, null, List.of(), null, 1L, 2L, null);
    org.buildswarm.protocol.message.JobCacheResult hit =
        org.buildswarm.protocol.message.JobCacheResult.hit("k".repeat(64), 41, "pack");
    await(store.append(List.of(
        StateChange.of(1, first.runId(), linux, EventType.JOB_SUCCEEDED, Map.of())
            .withJob(running)
            .withAttempt(new AttemptStatus(linux, 1, 11, "d1", 1, 100L, 1_100L, "SUCCEEDED", 0)),
        // A failed attempt says nothing of how long the job takes; its retry does.
        StateChange.of(2, first.runId(), bsd, EventType.JOB_FAILED, Map.of())
            .withJob(running)
            .withAttempt(new AttemptStatus(bsd, 1, 12, "d1", 1, 100L, 150L, "FAILED", 1)),
        StateChange.of(3, first.runId(), bsd, EventType.JOB_SUCCEEDED, Map.of())
            .withJob(running)
            .withAttempt(new AttemptStatus(bsd, 2, 13, "d1", 2, 200L, 3_200L, "SUCCEEDED", 0)),
        // Lost before it started: no duration at all.
        StateChange.of(4, first.runId(), lint, EventType.JOB_REQUEUED, Map.of())
            .withJob(running)
            .withAttempt(new AttemptStatus(lint, 1, 14, "d1", 1, null, 300L, "SUCCEEDED", null)),
        // Its result came from the cache: no build time.
        StateChange.of(5, first.runId(), pack, EventType.JOB_SUCCEEDED, Map.of())
            .withJob(new JobStatus(JobState.SUCCEEDED, 1, 15, "d1", 0, 0, 0, null, List.of(), "cached from run 41", 1L, 2L, 3L,
                null, hit)).withAttempt(new AttemptStatus(pack, 1, 15, "d1", 1, 400L, 410L, "SUCCEEDED", 0)),
        StateChange.of(6, other.runId(), a, EventType.JOB_SUCCEEDED, Map.of())
            .withJob(running)
            .withAttempt(new AttemptStatus(a, 1, 16, "d2", 1, 500L, 2_500L, "SUCCEEDED", 0)))));
    await(store.close());
    store = reopenStore(vertx);
    await(store.start());
    // By when they ended: 1,100 (build), 2,500 (a), 3,200 (build).
    assertThat(await(store.recentDurations(100))).containsExactly(
        new JobDuration("p", "build", 1_000), new JobDuration("q", "a", 2_000), new JobDuration("p", "build", 3_000));
    assertThat(await(store.recentDurations(2))).as("the newest ones, oldest first").containsExactly(
        new JobDuration("q", "a", 2_000), new JobDuration("p", "build", 3_000));
  }

  @Test
  void whatTheCacheDidForAJobIsKeptWithItAndSurvivesAReopen() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    long a = created.jobIds().get(0);
    long b = created.jobIds().get(1);
    org.buildswarm.protocol.message.JobCacheResult hit =
        org.buildswarm.protocol.message.JobCacheResult.hit("k".repeat(64), 41, "build (linux, caf\u00e9)");
    org.buildswarm.protocol.message.JobCacheResult ran = org.buildswarm.protocol.message.JobCacheResult.ran("b".repeat(64),
        false);
    await(store.append(List.of(
        StateChange.of(1, created.runId(), a, EventType.JOB_SUCCEEDED, Map.of("reason", "cached from run 41"))
            .withJob(new JobStatus(JobState.SUCCEEDED, 1, 11, "d1", 0, 0, 0, null, List.of(), "cached from run 41", 1L, 2L, 3L,
                null, hit)),
        StateChange.of(2, created.runId(), b, EventType.JOB_SUCCEEDED, Map.of())
            .withJob(new JobStatus(JobState.SUCCEEDED, 1, 12, "d1", 0, 0, 0, null, List.of(), null, 1L, 2L, 4L, null, ran)))));
    await(store.close());
    store = reopenStore(vertx);
    await(store.start());
    List<StoredJob> jobs = await(store.findRun(created.runId())).orElseThrow().jobs();
    assertThat(jobs.get(0).status().cache()).isEqualTo(hit);
    assertThat(jobs.get(1).status().cache()).isEqualTo(ran);
  }

  @Test
  void testResultsAreKeptPerAttemptWithTheCurrentSummaryOnTheJobAndSurviveAReopen() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    long a = created.jobIds().get(0);
    org.buildswarm.protocol.api.TestSummary first = new org.buildswarm.protocol.api.TestSummary(3, 1, 1, 1, 0, 250);
    org.buildswarm.protocol.api.TestSummary second = new org.buildswarm.protocol.api.TestSummary(3, 3, 0, 0, 0, 200);
    org.buildswarm.protocol.api.TestFailure failure = new org.buildswarm.protocol.api.TestFailure("suite \u00e9",
        "com.example.CartTest", "totals", "failure", "expected: <3> but was: <2>", "AssertionFailedError",
        "trace\n\tat x".repeat(2_000), "out\nerr", 12);
    org.buildswarm.protocol.message.TestResults failed = new org.buildswarm.protocol.message.TestResults(first,
        List.of(failure, new org.buildswarm.protocol.api.TestFailure("s", "c", "n", "error", "", "", "", "", 0)), true);
    JobStatus afterFirst = new JobStatus(JobState.QUEUED, 1, 11, "d1", 1, 0, 1, "test", List.of(), "retry", 1L, 2L,
        null, first);
    StateChange report = StateChange.of(3, created.runId(), a, EventType.JOB_RETRY_SCHEDULED, Map.of())
        .withJob(afterFirst)
        .withAttempt(new AttemptStatus(a, 1, 11, "d1", 1, 2L, 3L, "FAILED", 1))
        .withTests(new AttemptTests(a, 1, failed));
    await(store.append(List.of(report)));
    await(store.append(List.of(report))); // a resent report is written again, not twice
    assertThat(await(store.findRun(created.runId())).orElseThrow().jobs().get(0).status().tests()).isEqualTo(first);
    JobStatus retried = new JobStatus(JobState.RUNNING, 2, 12, "d2", 1, 0, null, null, List.of(), null, 1L, 4L, null);
    await(store.append(List.of(StateChange.of(4, created.runId(), a, EventType.JOB_ASSIGNED, Map.of())
        .withJob(retried))));
    assertThat(await(store.findRun(created.runId())).orElseThrow().jobs().get(0).status().tests())
        .as("the new attempt has none yet").isNull();
    assertThat(await(store.testResults(a, null)).orElseThrow().attempt()).as("the latest with results").isEqualTo(1);
    await(store.append(List.of(StateChange.of(5, created.runId(), a, EventType.JOB_SUCCEEDED, Map.of())
        .withJob(new JobStatus(JobState.SUCCEEDED, 2, 12, "d2", 1, 0, 0, null, List.of(), null, 1L, 4L, 5L, second))
        .withTests(new AttemptTests(a, 2, new org.buildswarm.protocol.message.TestResults(second, List.of(), false))))));

    await(store.close());
    store = reopenStore(vertx);
    await(store.start());
    assertThat(await(store.findRun(created.runId())).orElseThrow().jobs().get(0).status().tests()).isEqualTo(second);
    assertThat(await(store.testResults(a, null))).contains(new org.buildswarm.protocol.api.JobTests(a, 2, second,
        List.of(), false));
    org.buildswarm.protocol.api.JobTests one = await(store.testResults(a, 1)).orElseThrow();
    assertThat(one).isEqualTo(new org.buildswarm.protocol.api.JobTests(a, 1, first, failed.failures(), true));
    assertThat(await(store.testResults(a, 3))).isEmpty();
    assertThat(await(store.testResults(created.jobIds().get(1), null))).isEmpty();
    assertThat(await(store.testResults(999_999, null))).isEmpty();
  }

  @Test
  void dronesKeepTheirLatestRecordAndTheOperatorsMode() throws Exception {
    await(store.append(List.of(
        StateChange.of(1, 0, null, EventType.DRONE_REGISTERED, Map.of())
            .withDrone(new DroneStatus("d1", "h1", 8, List.of("linux"), null, 1)),
        StateChange.of(2, 0, null, EventType.DRONE_MODE, Map.of())
            .withDrone(new DroneStatus("d1", "h1", 8, List.of("linux"), org.buildswarm.protocol.DroneMode.DRAINING, 2)),
        StateChange.of(3, 0, null, EventType.DRONE_REGISTERED, Map.of())
            .withDrone(new DroneStatus("d2", "h2", 4, List.of(), null, 3)))));
    assertThat(await(store.drones())).containsExactly(
        new DroneStatus("d1", "h1", 8, List.of("linux"), org.buildswarm.protocol.DroneMode.DRAINING, 2),
        new DroneStatus("d2", "h2", 4, List.of(), null, 3));
  }

  @Test
  void everyEpochIsGreaterThanTheOneBefore() throws Exception {
    long first = await(store.beginEpoch("node-a"));
    long second = await(store.beginEpoch("node-b"));
    assertThat(second).isGreaterThan(first);
  }

  @Test
  void scheduleFiresAreKeptPerProjectAndExpression() throws Exception {
    assertThat(await(store.scheduleFires("shop"))).isEmpty();
    await(store.saveScheduleFire("shop", "0 3 * * *", 1_000));
    await(store.saveScheduleFire("shop", "0 3 * * *", 2_000));
    await(store.saveScheduleFire("shop", "@weekly", 3_000));
    await(store.saveScheduleFire("other", "@weekly", 4_000));
    assertThat(await(store.scheduleFires("shop"))).containsExactly(
        java.util.Map.entry("0 3 * * *", 2_000L), java.util.Map.entry("@weekly", 3_000L));
  }

  @Test
  void aWebhookDeliveryIsRecordedOnce() throws Exception {
    assertThat(await(store.recordDelivery("72d3162e-cc78-11e3-81ab-4c9367dc0958"))).isTrue();
    assertThat(await(store.recordDelivery("72d3162e-cc78-11e3-81ab-4c9367dc0958"))).as("a replay").isFalse();
    assertThat(await(store.recordDelivery("another"))).isTrue();
  }

  @Test
  void discoveredHeadsAreKeptPerProjectAndRef() throws Exception {
    assertThat(await(store.discoveredHeads("shop"))).isEmpty();
    await(store.saveDiscoveredHead("shop", "refs/heads/main", "a".repeat(40)));
    await(store.saveDiscoveredHead("shop", "refs/tags/v1", "b".repeat(40)));
    await(store.saveDiscoveredHead("shop", "refs/heads/main", "c".repeat(40)));
    await(store.saveDiscoveredHead("other", "refs/heads/main", "d".repeat(40)));
    assertThat(await(store.discoveredHeads("shop"))).containsExactly(
        java.util.Map.entry("refs/heads/main", "c".repeat(40)), java.util.Map.entry("refs/tags/v1", "b".repeat(40)));
  }

  @Test
  void tokensAreFoundByTheirHashOnly() throws Exception {
    assertThat(await(store.hasTokens())).isFalse();
    await(store.saveToken("ab".repeat(32), "ci", Role.DEVELOPER));
    assertThat(await(store.hasTokens())).isTrue();
    assertThat(await(store.findToken("ab".repeat(32)))).hasValueSatisfying(info -> {
      assertThat(info.name()).isEqualTo("ci");
      assertThat(info.role()).isEqualTo(Role.DEVELOPER);
    });
    assertThat(await(store.findToken("cd".repeat(32)))).isEmpty();
  }

  @Test
  void tokenNamesAreUniqueAndTheLastAdminStays() throws Exception {
    assertThat(await(store.saveToken("a1".repeat(32), "root", Role.ADMIN))).isTrue();
    assertThat(await(store.saveToken("b2".repeat(32), "root", Role.VIEWER))).as("name taken").isFalse();
    assertThat(await(store.findToken("b2".repeat(32)))).isEmpty();
    assertThat(await(store.saveToken("c3".repeat(32), "bob", Role.DEVELOPER))).isTrue();
    assertThat(await(store.listTokens())).extracting(TokenSummary::name, TokenSummary::role)
        .containsExactly(tuple("root", Role.ADMIN), tuple("bob", Role.DEVELOPER));

    assertThat(await(store.deleteToken("root"))).as("the last admin").isFalse();
    assertThat(await(store.deleteToken("nobody"))).isFalse();
    assertThat(await(store.deleteToken("bob"))).isTrue();
    assertThat(await(store.findToken("c3".repeat(32)))).isEmpty();
    assertThat(await(store.saveToken("d4".repeat(32), "root2", Role.ADMIN))).isTrue();
    assertThat(await(store.deleteToken("root"))).isTrue();
    assertThat(await(store.listTokens())).extracting(TokenSummary::name).containsExactly("root2");
  }

  @Test
  void aRetryOfAFinishedRunIsStoredSoThatRestartsResumeItWhereItWas() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    long runId = created.runId();
    long a = created.jobIds().get(0);
    java.util.concurrent.atomic.AtomicLong time = new java.util.concurrent.atomic.AtomicLong(10_000);
    CoreOnStore first = new CoreOnStore(1, time);
    first.core.addRun(await(store.findRun(runId)).orElseThrow());
    first.register("d1");
    first.finish("a", org.buildswarm.protocol.message.JobOutcome.FAILED);
    await(first.flush(store));
    assertThat(await(store.findRun(runId)).orElseThrow().state()).isEqualTo(RunState.FAILED);

    // Another orchestrator, which never held the finished run, retries it.
    CoreOnStore second = new CoreOnStore(2, time);
    assertThat(second.core.tracks(runId)).isFalse();
    second.core.readmitFinished(await(store.findRun(runId)).orElseThrow());
    assertThat(second.core.retryFailed(runId, "alice").jobs()).containsExactly("a", "b");
    await(second.flush(store));

    List<StoredRun> active = await(store.loadActiveRuns());
    assertThat(active).extracting(StoredRun::id).containsExactly(runId);
    StoredRun reopened = active.get(0);
    assertThat(reopened.state()).isEqualTo(RunState.RUNNING);
    assertThat(reopened.finishedAt()).isNull();
    assertThat(reopened.jobs()).extracting(job -> job.status().state()).containsExactly(JobState.QUEUED, JobState.WAITING);
    assertThat(reopened.jobs().get(0).status().attempt()).as("its last attempt, until the next").isEqualTo(1);
    assertThat(reopened.jobs().get(0).status().exitCode()).isNull();
    List<EventRecord> events = await(store.events(runId, 0, 100));
    assertThat(events).extracting(EventRecord::type).containsSubsequence("run.failed", "run.retried", "job.retried",
        "job.retried", "job.queued");
    assertThat(events.stream().filter(event -> event.type().equals("run.retried")).findFirst().orElseThrow().data())
        .containsEntry("requestedBy", "alice");

    // And a third, after a restart, carries on from the store alone.
    CoreOnStore third = new CoreOnStore(3, time);
    third.core.resumeRuns(active);
    third.register("d2");
    int attempt = third.assignmentOf("a").attempt().attempt();
    assertThat(attempt).as("a new attempt, above any that may have gone out before the restart").isGreaterThan(1);
    third.finish("a", org.buildswarm.protocol.message.JobOutcome.SUCCEEDED);
    third.finish("b", org.buildswarm.protocol.message.JobOutcome.SUCCEEDED);
    await(third.flush(store));
    StoredRun done = await(store.findRun(runId)).orElseThrow();
    assertThat(done.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(done.finishedAt()).isNotNull();
    assertThat(await(store.loadActiveRuns())).isEmpty();
    assertThat(await(store.attempts(a))).extracting(AttemptStatus::attempt, AttemptStatus::outcome)
        .containsExactly(tuple(1, "FAILED"), tuple(attempt, "SUCCEEDED"));
  }

  @Test
  void onceAnotherOrchestratorBeginsANewerEpochTheOlderOnesRunChangesAreRefusedAndNothingOfThemIsWritten()
      throws Exception {
    long mine = await(store.beginEpoch("old leader"));
    long runId = await(store.createRun(newRun("p", TWO_JOBS))).runId();
    Store newer = reopenStore(vertx); // the same database, as a second orchestrator sees it
    await(newer.start());
    try {
      long theirs = await(newer.beginEpoch("new leader"));

      assertThatThrownBy(() -> await(store.createRun(newRun("p", TWO_JOBS))))
          .isInstanceOf(FencedException.class)
          .hasMessage("epoch " + mine + " is fenced off: orchestrator epoch " + theirs + " has taken over");
      assertThatThrownBy(() -> await(store.append(List.of(StateChange.of(9, runId, null, EventType.RUN_CANCELLED, Map.of())
          .withRun(new RunStatus(RunState.CANCELLED, 9L))))))
          .isInstanceOf(FencedException.class);
      // Both refused writes in one group commit, beside one that is not fenced: only they fail.
      Future<CreatedRun> refusedRun = store.createRun(newRun("p", TWO_JOBS));
      Future<Void> refusedChange = store.append(List.of(StateChange.of(10, runId, null, EventType.RUN_CANCELLED, Map.of())
          .withRun(new RunStatus(RunState.CANCELLED, 10L))));
      Future<Boolean> token = store.saveToken("ab".repeat(32), "ci", Role.DEVELOPER);
      assertThat(await(Future.join(refusedRun, refusedChange, token).otherwiseEmpty()))
          .as("the group settled").isNull();
      assertThat(refusedRun.cause()).isInstanceOf(FencedException.class);
      assertThat(refusedChange.cause()).isInstanceOf(FencedException.class);
      assertThat(token.result()).isTrue();

      assertThat(await(newer.listRuns(new RunQuery(50, null, null, null, null))).runs())
          .extracting(RunSummary::id, RunSummary::state)
          .containsExactly(tuple(runId, RunState.QUEUED));
      assertThat(await(newer.events(runId, 0, 100))).extracting(EventRecord::type).containsExactly("run.created");
      // The orchestrator holding the newest epoch goes on writing.
      long itsRun = await(newer.createRun(newRun("p", TWO_JOBS))).runId();
      await(newer.append(List.of(StateChange.of(11, runId, null, EventType.RUN_CANCELLED, Map.of())
          .withRun(new RunStatus(RunState.CANCELLED, 11L)))));
      assertThat(await(store.findRun(itsRun))).isPresent();
      assertThat(await(store.findRun(runId)).orElseThrow().state()).isEqualTo(RunState.CANCELLED);
    } finally {
      await(newer.close());
    }
  }

  @Test
  void aStoreNoOrchestratorHasBegunAnEpochOnIsNotFenced() throws Exception {
    Store leader = reopenStore(vertx);
    await(leader.start());
    try {
      await(leader.beginEpoch("leader"));
      // A tool or test that opened the store without an epoch of its own (swarm token, a restore) still writes.
      assertThat(await(store.createRun(newRun("p", TWO_JOBS))).runId()).isPositive();
    } finally {
      await(leader.close());
    }
  }

  @Test
  void everythingSurvivesAReopen() throws Exception {
    CreatedRun created = await(store.createRun(newRun("p", TWO_JOBS)));
    long epoch = await(store.beginEpoch("node"));
    await(store.close());
    store = reopenStore(vertx);
    await(store.start());
    assertThat(await(store.findRun(created.runId()))).isPresent();
    assertThat(await(store.beginEpoch("node"))).isGreaterThan(epoch);
  }
}
