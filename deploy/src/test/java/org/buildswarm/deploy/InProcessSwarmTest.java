package org.buildswarm.deploy;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.buildswarm.drone.DroneOptions;
import org.buildswarm.drone.DroneVerticle;
import org.buildswarm.orchestrator.OrchestratorOptions;
import org.buildswarm.orchestrator.OrchestratorVerticle;
import org.buildswarm.orchestrator.store.impl.H2Stores;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.api.DroneList;
import org.buildswarm.protocol.api.GetRun;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.ListDrones;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.SetDroneMode;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.message.SourceSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Orchestrator and real drones (running real processes) on one local event bus. */
@ExtendWith(VertxExtension.class)
class InProcessSwarmTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(50);

  @TempDir
  Path directory;

  private Vertx vertx;
  private String orchestrator;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
    startOrchestrator();
  }

  /** An orchestrator on the store in {@link #directory}: the one it had before, after a restart. */
  private void startOrchestrator() throws Exception {
    orchestrator = await(vertx.deployVerticle(new OrchestratorVerticle(OrchestratorOptions.defaults("test",
        org.buildswarm.protocol.auth.Credentials.newSwarm(new java.security.SecureRandom())),
        H2Stores.inDirectory(vertx, directory))));
  }

  private DroneVerticle drone(String name, int cores, boolean ephemeral) throws Exception {
    // The tests need their drones to take work whatever else this host is doing.
    DroneVerticle drone = new DroneVerticle(DroneOptions.defaults(directory.resolve(name)).withName(name)
        .withCores(cores).withLabels(List.of("linux")).withEphemeral(ephemeral).withKillGraceMs(1_000)
        .withHostGuard(org.buildswarm.drone.HostGuardOptions.none()));
    await(vertx.deployVerticle(drone));
    awaitDrones(list -> list.drones().stream().anyMatch(d -> d.name().equals(name) && d.state().equals("online")));
    return drone;
  }

  @Test
  void ephemeralDroneRunsOneJobAndLeaves() throws Exception {
    DroneVerticle once = drone("once", 4, true);
    long run = submit("""
        jobs:
          a: {steps: ["sleep 0.3"]}
          b: {steps: ["sleep 0.3"]}
          c: {steps: ["sleep 0.3"]}
        """);
    once.ephemeralDone().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    RunDetail detail = getRun(run);
    assertThat(detail.jobs().stream().filter(job -> "once".equals(job.drone()))).hasSize(1);
    assertThat(detail.jobs().stream().filter(job -> job.state() == JobState.QUEUED)).as("no more for it").hasSize(2);

    drone("steady", 2, false);
    RunDetail finished = awaitRun(run, r -> r.run().state().isTerminal());
    assertThat(finished.jobs()).extracting(JobView::state).containsOnly(JobState.SUCCEEDED);
    assertThat(finished.jobs().stream().filter(job -> "steady".equals(job.drone()))).hasSize(2);
  }

  @Test
  void drainedDroneFinishesWhatItRunsAndTakesNothingNewUntilResumed() throws Exception {
    drone("only", 1, false);
    long first = submit("jobs:\n  slow: {steps: [\"sleep 1\"]}\n");
    awaitRun(first, r -> r.jobs().get(0).state() == JobState.RUNNING);
    ask(Addresses.DRONE_MODE, new SetDroneMode("only", DroneMode.DRAINING, "test"));
    long second = submit("jobs:\n  next: {steps: [\"true\"]}\n");

    RunDetail done = awaitRun(first, r -> r.run().state().isTerminal());
    assertThat(done.jobs().get(0).state()).as("running work finishes").isEqualTo(JobState.SUCCEEDED);
    Awaitility.await().during(Duration.ofMillis(500)).atMost(WAIT).untilAsserted(() ->
        assertThat(getRun(second).jobs().get(0).state()).as("nothing new while draining").isEqualTo(JobState.QUEUED));
    assertThat(this.<DroneList>ask(Addresses.DRONE_LIST, new ListDrones()).drones().get(0).state()).isEqualTo("draining");

    ask(Addresses.DRONE_MODE, new SetDroneMode("only", DroneMode.ACTIVE, "test"));
    assertThat(awaitRun(second, r -> r.run().state().isTerminal()).jobs().get(0).state()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void aRestartedOrchestratorStillKnowsHowLongJobsTakeAndRunsTheLongestPathFirst() throws Exception {
    drone("single", 1, false);
    String pipeline = """
        jobs:
          long: {steps: ["sleep 1"]}
          first: {steps: ["true"]}
          second: {needs: first, steps: ["true"]}
        """;
    // Knowing nothing, every job is expected to take as long: the chain of two is the longer path.
    RunDetail unknown = awaitRun(submit(pipeline), r -> r.run().state().isTerminal());
    assertThat(startedAt(unknown, "first")).isLessThan(startedAt(unknown, "long"));

    await(vertx.undeploy(orchestrator));
    startOrchestrator();
    awaitDrones(list -> list.drones().stream().anyMatch(d -> d.name().equals("single") && d.state().equals("online")));
    RunDetail known = awaitRun(submit(pipeline), r -> r.run().state().isTerminal());
    assertThat(known.jobs()).extracting(JobView::state).containsOnly(JobState.SUCCEEDED);
    assertThat(startedAt(known, "long")).as("a second of sleep outweighs two jobs of `true`, as the stored history says")
        .isLessThan(startedAt(known, "first"));
  }

  @Test
  void aJobReadingItsReportsHasGivenItsCoreBackAlreadySoTheNextJobStartsBeforeItIsDone() throws Exception {
    drone("single", 1, false);
    // `report`'s dependent puts it first; its steps write a report of 200,000 test cases, which the
    // drone reads after the steps are over — with no process left, and no core held.
    long run = submit("""
        jobs:
          report:
            reports: [big.xml]
            steps:
              - >-
                awk 'BEGIN { print "<testsuite name=\\"s\\">";
                for (i = 0; i < 200000; i++) printf "<testcase classname=\\"c\\" name=\\"t%d\\"/>\\n", i;
                print "</testsuite>" }' > big.xml
          after: {needs: report, steps: ["true"]}
          next: {steps: ["true"]}
        """);
    RunDetail done = awaitRun(run, r -> r.run().state().isTerminal());
    assertThat(done.jobs()).extracting(JobView::state).containsOnly(JobState.SUCCEEDED);
    assertThat(startedAt(done, "report")).isLessThan(startedAt(done, "next"));
    Long report = jobId(done, "report");
    long reported = this.<org.buildswarm.protocol.api.EventPage>ask(Addresses.RUN_EVENTS_GET,
            new org.buildswarm.protocol.api.GetRunEvents(run, 0, 1_000)).events().stream()
        .filter(event -> event.type().equals("job.succeeded") && report.equals(event.jobId()))
        .findFirst().orElseThrow().at();
    assertThat(startedAt(done, "next")).as("the one core went to `next` while `report`'s results were read")
        .isLessThan(reported);
  }

  private static long jobId(RunDetail run, String job) {
    return run.jobs().stream().filter(view -> view.name().equals(job)).findFirst().orElseThrow().id();
  }

  private static long startedAt(RunDetail run, String job) {
    return run.jobs().stream().filter(view -> view.name().equals(job)).findFirst().orElseThrow().startedAt();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private long submit(String yaml) throws Exception {
    SubmitResult result = ask(Addresses.RUN_SUBMIT, new SubmitRun("test", ".buildswarm.yml", yaml, SourceSpec.none(), null, "t"));
    assertThat(result.problems()).isEmpty();
    return result.runId();
  }

  private RunDetail getRun(long run) throws Exception {
    return ask(Addresses.RUN_GET, new GetRun(run));
  }

  private RunDetail awaitRun(long run, Predicate<RunDetail> condition) {
    return Awaitility.await("run " + run).atMost(WAIT).pollInterval(POLL).until(() -> getRun(run), condition);
  }

  private void awaitDrones(Predicate<DroneList> condition) {
    Awaitility.await("drones").atMost(WAIT).pollInterval(POLL).until(() -> this.<DroneList>ask(Addresses.DRONE_LIST,
        new ListDrones()), condition);
  }

  private <T> T ask(String address, Object request) throws Exception {
    return await(vertx.eventBus().<T>request(address, request, new DeliveryOptions().setSendTimeout(10_000))).body();
  }
}
