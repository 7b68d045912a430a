package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swarm as separate processes on loopback: an orchestrator, a gateway and three drones, each
 * its own JVM in one Hazelcast cluster. Runs a DAG across the drones, survives kill -9 of a drone
 * mid-job, and refuses a drone with the wrong join token.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final long LEASE_MS = 10_000;

  @TempDir
  static Path work;

  static Cluster cluster;
  static Map<String, SwarmProcess> drones = new HashMap<>();

  @BeforeAll
  static void startSwarm() throws Exception {
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore();
    for (String name : List.of("d1", "d2", "d3")) {
      drones.put(name, cluster.startDrone(name, 2, null, "127.0.0.1"));
    }
  }

  @AfterAll
  static void stopSwarm() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  @Test
  @Order(1)
  void dagRunsToSuccessAcrossDroneProcesses() throws Exception {
    Path example = SwarmProcess.checkout().resolve("examples/diamond");
    long run = submit("diamond", Files.readString(example.resolve(".buildswarm.yml")), example);
    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
    Set<String> used = new HashSet<>();
    detail.path("jobs").forEach(job -> used.add(job.path("drone").asText()));
    assertThat(used).as("jobs spread over drone processes").hasSizeGreaterThan(1);
    long packageJob = jobs(detail).get("package").path("id").asLong();
    assertThat(cluster.api.awaitLog(packageJob, Duration.ofSeconds(30))).contains("packaged on Linux");
  }

  @Test
  @Order(2)
  void prometheusSeesTheQueueAndEveryDroneThroughTheGatewaysMetrics() throws Exception {
    URI gateway = URI.create(cluster.url);
    try (PrometheusServer prometheus = PrometheusServer.start(work.resolve("prometheus"),
        gateway.getHost() + ":" + gateway.getPort())) {
      // Per-drone gauges come from heartbeats, exported by the orchestrator and served by the gateway.
      JsonNode cores = prometheus.awaitValue("buildswarm_drone_cores{state=\"total\"}", value -> value == 2, TIMEOUT);
      Set<String> droneNames = new HashSet<>();
      cores.forEach(series -> droneNames.add(series.path("metric").path("drone").asText()));
      assertThat(droneNames).containsAll(drones.keySet());
      prometheus.awaitValue("sum(buildswarm_drone_up)", value -> value >= 3, TIMEOUT);
      prometheus.awaitValue("buildswarm_jobs_total{result=\"succeeded\"}", value -> value >= 5, TIMEOUT);

      long run = submit("gpu", """
          jobs:
            train:
              labels: [gpu]
              steps:
                - run: echo never
          """);
      prometheus.awaitValue("buildswarm_queue_jobs{state=\"unschedulable\"}", value -> value == 1, TIMEOUT);
      assertThat(cluster.api.post("/api/v1/runs/" + run + "/cancel", Map.of()).status()).isEqualTo(200);
      prometheus.awaitValue("buildswarm_queue_jobs{state=\"unschedulable\"}", value -> value == 0, TIMEOUT);
      prometheus.awaitValue("buildswarm_jobs_total{result=\"cancelled\"}", value -> value >= 1, TIMEOUT);
      // The gateway's own process metrics share the target.
      assertThat(prometheus.query("jvm_memory_used_bytes{role=\"gateway\"}")).isNotEmpty();
      assertThat(prometheus.query("vertx_http_server_requests_total{role=\"gateway\"}")).isNotEmpty();
      // Every metric the shipped alert rules use is really scraped (a renamed metric would silence an alert).
      java.util.regex.Matcher used = java.util.regex.Pattern.compile("buildswarm_[a-z_]+")
          .matcher(Files.readString(SwarmProcess.checkout().resolve("deploy/prometheus/alerts.yml")));
      while (used.find()) {
        // present only while the orchestrator is away; per project only where projects are watched (DiscoverySystemTest)
        if (!used.group().equals("buildswarm_orchestrator_up") && !used.group().startsWith("buildswarm_project_")) {
          assertThat(prometheus.query(used.group())).as("%s in a scrape", used.group()).isNotEmpty();
        }
      }
      // The shipped Grafana dashboard: every query is PromQL this Prometheus takes, over scraped metrics only.
      cluster.api.post("/hooks/github", Map.of()); // a delivery to count, whatever becomes of it
      prometheus.awaitValue("buildswarm_webhook_deliveries_total", value -> value >= 1, TIMEOUT);
      java.util.Set<String> scraped = prometheus.metricNames();
      List<String> queries = GrafanaDashboard.queries(SwarmProcess.checkout().resolve("deploy/grafana/buildswarm.json"));
      assertThat(queries).as("the dashboard's queries").hasSizeGreaterThan(20);
      for (String query : queries) {
        String concrete = GrafanaDashboard.concrete(query);
        prometheus.query(concrete);
        for (String metric : GrafanaDashboard.metricsIn(concrete)) {
          if (!metric.equals("buildswarm_orchestrator_up")) {
            assertThat(scraped).as("%s (in %s) is scraped", metric, query).contains(metric);
          }
        }
      }
    }
  }

  @Test
  @Order(2)
  void aJobOnADroneHostSeesNeitherTheDronesCommandLineNorItsCredentials() throws Exception {
    // A drone's command line names its credentials and secrets (as `swarm drone` is started): a job
    // must find neither in /proc, nor read the files they name.
    StringBuilder probes = new StringBuilder("set +e\n");
    for (String name : drones.keySet()) {
      Path credentials = cluster.droneCredentials(name);
      probes.append("grep -qs . ").append(credentials).append(" && echo LEAK:credentials-").append(name).append('\n');
    }
    probes.append("tr '\\0' ' ' < /proc/$PPID/cmdline | grep -q 'cluster-[n]ame' && echo LEAK:parent-cmdline\n")
        .append("for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done 2>/dev/null"
            + " | grep -q 'cluster-[n]ame' && echo LEAK:any-cmdline\n")
        .append("echo probes done\n");
    long run = submit("escape", "jobs:\n  probe:\n    steps:\n      - run: |\n" + probes.toString().indent(10));
    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    long probe = jobs(detail).get("probe").path("id").asLong();
    String log = cluster.api.awaitLog(probe, Duration.ofSeconds(30));
    assertThat(log).contains("probes done", "==> sandbox bubblewrap:").doesNotContain("LEAK:");
  }

  @Test
  @Order(3)
  void killedDronesJobCompletesElsewhereExactlyOnceAndTheDroneRejoins() throws Exception {
    String started = "victim-started-" + java.util.UUID.randomUUID();
    long run = submit("kill", """
        jobs:
          long:
            labels: [linux]
            steps:
              - run: %s; echo finished on $BUILDSWARM_JOB_NAME
        """.formatted(HostProcesses.named(started, "sleep 4")));
    JsonNode running = awaitJob(run, "long", job -> job.path("state").asText().equals("RUNNING"));
    String victim = running.path("drone").asText();
    HostProcesses.await(started, TIMEOUT);
    long killedAt = System.currentTimeMillis();
    drones.get(victim).kill();

    JsonNode requeued = awaitJob(run, "long", job -> job.path("attempt").asInt() == 2);
    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    JsonNode job = jobs(detail).get("long");
    assertThat(job.path("drone").asText()).isNotEqualTo(victim);
    JsonNode events = cluster.api.get("/api/v1/runs/" + run + "/events").json().path("events");
    long requeuedAt = 0;
    int successes = 0;
    for (JsonNode event : events) {
      if (event.path("type").asText().equals("job.requeued")) {
        requeuedAt = event.path("at").asLong();
        assertThat(event.path("data").path("reason").asText()).contains("drone " + victim + " was lost");
      }
      successes += event.path("type").asText().equals("job.succeeded") ? 1 : 0;
    }
    assertThat(successes).as("recorded exactly once").isEqualTo(1);
    assertThat(requeuedAt - killedAt).as("requeued within lease + 5 s of the kill").isBetween(0L, LEASE_MS + 5_000);
    assertThat(requeued.path("attempt").asInt()).isEqualTo(2);

    // Restarted on the same work directory, the drone cleans up, rejoins and gets work again.
    drones.put(victim, cluster.startDrone(victim, 2, null, "127.0.0.1"));
    long pinned = submit("rejoin", "jobs:\n  here:\n    labels: [node-" + victim + "]\n    steps: [\"true\"]\n");
    JsonNode after = cluster.api.awaitRun(pinned, TIMEOUT);
    assertThat(after.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(jobs(after).get("here").path("drone").asText()).isEqualTo(victim);
  }

  @Test
  @Order(4)
  void droneWithAnotherSwarmsCredentialsIsRefusedWithTheReasonOnBothSides() throws Exception {
    Path foreign = work.resolve("foreign.credentials");
    org.buildswarm.protocol.auth.Credentials.newSwarm(new java.security.SecureRandom()).forDrone("intruder").write(foreign);
    SwarmProcess intruder = cluster.start("intruder", null, List.of("drone", "--cluster-name", cluster.name,
        "--members", cluster.members(), "--bind", "127.0.0.1", "--cluster-port", "0",
        "--event-bus-port", "0", "--credentials", foreign.toString(),
        "--work-dir", work.resolve("intruder").toString()));
    String refusal = "the orchestrator refused drone intruder: refused: its seal does not match";
    await("the intruder told why it was refused").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
        .until(intruder::stderr, said -> said.contains(refusal));
    assertThat(cluster.orchestrator.stderr())
        .contains("refused a message: RegisterDrone on buildswarm.drone.register: its seal does not match");
    JsonNode droneList = cluster.api.get("/api/v1/drones").json().path("drones");
    droneList.forEach(drone -> assertThat(drone.path("name").asText()).isNotEqualTo("intruder"));
    long run = submit("refused", "jobs:\n  there:\n    labels: [node-intruder]\n    steps: [\"true\"]\n");
    assertThat(awaitJob(run, "there", job -> job.path("state").asText().equals("UNSCHEDULABLE"))
        .path("reason").asText()).contains("no registered drone has the labels [node-intruder]");
    intruder.close();
  }

  @Test
  @Order(5)
  void aDroneWhoseHostIsLowOnDiskSaysSoAndGetsNoWork() throws Exception {
    // No file system here has an exabyte free, so this drone's host counts as full.
    SwarmProcess full = cluster.start("drone-full", null, List.of("drone", "--cluster-name", cluster.name, "--members",
        cluster.members(), "--bind", "127.0.0.1", "--cluster-port", "0",
        "--event-bus-port", "0", "--credentials", cluster.droneCredentials("full").toString(),
        "--cores", "2", "--labels", "linux,node-full", "--work-dir", work.resolve("drone-full").toString(),
        "--min-free-disk-mb", Long.toString(1L << 40)));
    try {
      cluster.awaitDroneState("full", "unavailable", TIMEOUT, full);
      JsonNode view = null;
      for (JsonNode drone : cluster.api.get("/api/v1/drones").json().path("drones")) {
        view = drone.path("name").asText().equals("full") ? drone : view;
      }
      assertThat(view.path("reason").asText()).startsWith("disk space low: ").contains("free in the work directory");
      long run = submit("full", "jobs:\n  there:\n    labels: [node-full]\n    steps: [\"true\"]\n");
      awaitJob(run, "there", job -> job.path("state").asText().equals("QUEUED"));
      await("job there waits for the drone to recover, not unschedulable").during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
          .until(() -> awaitJob(run, "there", any -> true).path("state").asText(), "QUEUED"::equals);
      assertThat(cluster.api.post("/api/v1/runs/" + run + "/cancel", Map.of()).status()).isEqualTo(200);
    } finally {
      full.close();
    }
  }

  @Test
  @Order(5)
  void droneSpeakingAnotherProtocolVersionIsRefusedWithBothVersions() throws Exception {
    // This JVM joins the swarm as a lite member, the way a drone of another release would.
    io.vertx.core.Vertx node = org.buildswarm.deploy.cluster.ClusteredVertx.start(new org.buildswarm.deploy.cluster.ClusterSettings(
        cluster.name, List.of(cluster.members().split(",")), "127.0.0.1", 0, 0, true, null,
        cluster.control.forDrone("future"))).toCompletionStage().toCompletableFuture().get(120,
        java.util.concurrent.TimeUnit.SECONDS);
    try {
      var register = new org.buildswarm.protocol.message.RegisterDrone("future", org.buildswarm.protocol.ProtocolVersion.CURRENT + 1,
          "elsewhere", 4, List.of(), org.buildswarm.protocol.DroneMode.ACTIVE, false, List.of());
      Throwable refused = node.eventBus().request(org.buildswarm.protocol.Addresses.DRONE_REGISTER, register,
              new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(30_000))
          .toCompletionStage().toCompletableFuture().handle((reply, failure) -> failure).get();
      assertThat(refused).isNotNull();
      assertThat(refused.getCause() == null ? refused.getMessage() : refused.getCause().getMessage())
          .contains("protocol version " + (org.buildswarm.protocol.ProtocolVersion.CURRENT + 1))
          .contains("orchestrator's version " + org.buildswarm.protocol.ProtocolVersion.CURRENT);
      assertThat(cluster.orchestrator.stderr()).contains("refused drone future: protocol version");
      cluster.api.get("/api/v1/drones").json().path("drones")
          .forEach(drone -> assertThat(drone.path("name").asText()).isNotEqualTo("future"));
    } finally {
      node.close().toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(6)
  void restartedOrchestratorKeepsQueuedWorkAndAdoptsWhatKeptRunning() throws Exception {
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < 8; i++) {
      yaml.append("  j").append(i).append(": {cores: 2, labels: [linux], steps: [\"sleep 4\"]}\n");
    }
    long run = submit("restart", yaml.toString());
    Map<String, JsonNode> jobs = await("three jobs of run " + run + " running").atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> jobs(cluster.api.get("/api/v1/runs/" + run).json()),
            found -> found.values().stream().filter(job -> job.path("state").asText().equals("RUNNING")).count() >= 3);
    Thread.sleep(500); // let the orchestrator write what it knows
    List<String> runningAtKill = jobs.values().stream().filter(job -> job.path("state").asText().equals("RUNNING"))
        .map(job -> job.path("name").asText()).toList();
    assertThat(runningAtKill).hasSize(3);

    cluster.orchestrator.kill();
    cluster.orchestrator = cluster.startOrchestrator(0);

    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
    Map<String, JsonNode> finished = jobs(detail);
    for (String name : runningAtKill) {
      assertThat(finished.get(name).path("attempt").asInt()).as("%s kept running and was adopted, not restarted", name)
          .isEqualTo(1);
    }
    Map<Long, Integer> successes = new HashMap<>();
    for (JsonNode event : cluster.api.get("/api/v1/runs/" + run + "/events?limit=10000").json().path("events")) {
      if (event.path("type").asText().equals("job.succeeded")) {
        successes.merge(event.path("jobId").asLong(), 1, Integer::sum);
      }
    }
    assertThat(successes).hasSize(8).allSatisfy((job, count) -> assertThat(count).isEqualTo(1));
  }

  @Test
  @Order(7)
  void aJobsTimesAfterAnOrchestratorOutageAreTheOnesItsDroneMeasured() throws Exception {
    long run = submit("outage", "jobs:\n  timed: {labels: [linux], steps: [\"sleep 4\"]}\n");
    awaitJob(run, "timed", job -> job.path("state").asText().equals("RUNNING"));
    cluster.orchestrator.kill();
    Thread.sleep(6_000); // the job ends while no orchestrator listens; its drone keeps the report
    cluster.orchestrator = cluster.startOrchestrator(0);

    JsonNode timed = jobs(cluster.api.awaitRun(run, TIMEOUT)).get("timed");
    assertThat(timed.path("state").asText()).isEqualTo("SUCCEEDED");
    long took = timed.path("finishedAt").asLong() - timed.path("startedAt").asLong();
    assertThat(took).as("the drone's 4 s, not the time until the new orchestrator heard of it: %s", timed)
        .isBetween(4_000L, 5_500L);
  }

  @Test
  @Order(8)
  void aSecondOrchestratorWithAStoreOfItsOwnIsRefusedAndNamesTheLeader() throws Exception {
    String leader = cluster.api.get("/api/v1/status").json().path("leader").asText();
    SwarmProcess second = cluster.start("orchestrator-second", null, List.of("orchestrator", "--cluster-name",
        cluster.name, "--members", cluster.members(), "--bind", "127.0.0.1", "--cluster-port",
        "0", "--event-bus-port", "0",
        "--credentials", cluster.controlCredentials.toString(), "--data", work.resolve("second-store").toString()));
    try {
      assertThat(second.process.waitFor(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
          .as("it gives up\n%s", second.output()).isTrue();
      assertThat(second.process.exitValue()).as("%s", second.output()).isEqualTo(3);
      assertThat(second.stderr()).contains("orchestrator " + leader + " (epoch ")
          .contains("leads this swarm, with store embedded H2 in ")
          .contains("two orchestrators with different stores would hand out the same run ids");
      JsonNode status = cluster.api.get("/api/v1/status").json();
      assertThat(status.path("leader").asText()).as("the leader leads on").isEqualTo(leader);
      long run = submit("still-led", "jobs:\n  once: {labels: [linux], steps: [\"true\"]}\n");
      assertThat(cluster.api.awaitRun(run, TIMEOUT).path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    } finally {
      second.close();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  static long submit(String project, String yaml) throws Exception {
    return ClusterSystemTestSupport.submit(cluster, project, yaml);
  }

  static long submit(String project, String yaml, Path source) throws Exception {
    return ClusterSystemTestSupport.submit(cluster, source, project, yaml);
  }

  static Map<String, JsonNode> jobs(JsonNode detail) {
    return ClusterSystemTestSupport.jobs(detail);
  }

  static JsonNode awaitJob(long run, String name, java.util.function.Predicate<JsonNode> condition) throws Exception {
    return ClusterSystemTestSupport.awaitJob(cluster, run, name, condition);
  }
}
