package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.deploy.cluster.ClusteredVertx;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.CreateToken;
import org.buildswarm.protocol.api.DecideJob;
import org.buildswarm.protocol.api.DeleteToken;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.RollbackEnvironment;
import org.buildswarm.protocol.api.SetDroneMode;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.api.VerifyToken;
import org.buildswarm.protocol.auth.Credentials;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.LogChunk;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nobody in where they do not belong, against the real swarm (an orchestrator, a gateway and two
 * drones, each its own process): a JVM that joins the cluster with only its name and members
 * tries every address a node acts on and gets nothing done; a drone's own credentials neither act
 * for another drone nor reach the control plane's addresses. Each attempt is answered 403, or not
 * at all, and the swarm's state is checked unchanged through its API.
 */
class RogueNodeSystemTest {
  /** Without a sandbox: the a job that ran would leave its witness file where the test looks (the sandbox is JobEscapeSystemTest's). */
  private static final String[] UNSANDBOXED = {"--sandbox", "none"};
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  static Path work;

  static Cluster cluster;
  static long run;
  static JsonNode running;

  @BeforeAll
  static void startSwarm() throws Exception {
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore();
    cluster.startDrone("d1", 2, null, "127.0.0.1", UNSANDBOXED);
    cluster.startDrone("d2", 2, null, "127.0.0.1", UNSANDBOXED);
    run = ClusterSystemTestSupport.submit(cluster, "victim",
        "jobs:\n  long: {labels: [node-d2], steps: [\"echo started; sleep 60\"]}\n");
    running = ClusterSystemTestSupport.awaitJob(cluster, run, "long", job -> job.path("state").asText().equals("RUNNING"));
  }

  @AfterAll
  static void stopSwarm() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Vertx join(Credentials credentials) throws Exception {
    return ClusteredVertx.start(new ClusterSettings(cluster.name, List.of(cluster.members().split(",")), "127.0.0.1",
        0, 0, true, null, credentials)).toCompletionStage().toCompletableFuture()
        .get(120, TimeUnit.SECONDS);
  }

  /** What a request brings back: the failure's message, or "answered" if something answered it. */
  private static String attempt(Vertx node, String address, Object message) throws Exception {
    Throwable failure = node.eventBus().request(address, message, new DeliveryOptions().setSendTimeout(10_000))
        .toCompletionStage().toCompletableFuture().handle((reply, error) -> error).get(60, TimeUnit.SECONDS);
    if (failure == null) {
      return "answered";
    }
    Throwable cause = failure instanceof ReplyException ? failure : failure.getCause();
    return cause instanceof ReplyException reply ? reply.failureCode() + " " + reply.getMessage() : String.valueOf(cause);
  }

  private static AttemptRef runningAttempt() {
    return new AttemptRef(running.path("id").asLong(), running.path("attempt").asInt(), 0);
  }

  /** Everything a node could ask of the swarm, each one that would change something if it were obeyed. */
  private static List<Map.Entry<String, Object>> everyAddress(String drone) {
    AttemptRef attempt = runningAttempt();
    List<Map.Entry<String, Object>> tries = new ArrayList<>();
    tries.add(Map.entry(Addresses.TOKEN_CREATE, new CreateToken("rogue-admin", Role.ADMIN, "0".repeat(64), "rogue")));
    tries.add(Map.entry(Addresses.TOKEN_DELETE, new DeleteToken("admin", "rogue")));
    tries.add(Map.entry(Addresses.TOKEN_VERIFY, new VerifyToken("0".repeat(64))));
    tries.add(Map.entry(Addresses.RUN_SUBMIT, new SubmitRun("rogue", ".buildswarm.yml",
        "jobs:\n  pwn: {steps: [\"touch " + work.resolve("pwned") + "\"]}\n", SourceSpec.none(), Trigger.MANUAL, "rogue")));
    tries.add(Map.entry(Addresses.CANCEL, new CancelRequest(run, null, "rogue")));
    tries.add(Map.entry(Addresses.JOB_DECIDE, new DecideJob(run, attempt.jobId(), "failed", "rogue")));
    tries.add(Map.entry(Addresses.ENVIRONMENT_ROLLBACK, new RollbackEnvironment("victim", "prod", null, "rogue")));
    tries.add(Map.entry(Addresses.DRONE_MODE, new SetDroneMode("d2", DroneMode.PAUSED, "rogue")));
    tries.add(Map.entry(Addresses.DRONE_REGISTER, new RegisterDrone(drone, ProtocolVersion.CURRENT, "rogue-host", 64,
        List.of("linux", "node-d2"), DroneMode.ACTIVE, false, List.of())));
    tries.add(Map.entry(Addresses.DRONE_HEARTBEAT, new Heartbeat("d2", 1, 0, 0, 0, 0, 0, DroneMode.PAUSED, List.of(),
        null)));
    tries.add(Map.entry(Addresses.JOB_FINISHED, new JobFinished("d2", attempt, JobOutcome.SUCCEEDED, 0, null, List.of(),
        1, 2, null)));
    tries.add(Map.entry(Addresses.LOG_APPEND, new LogChunk("d2", attempt, "forged", 0,
        "rogue was here\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), true)));
    // A command to a drone: were it obeyed, anyone on the network could run anything on a build host.
    tries.add(Map.entry(Addresses.drone("d1"), new AssignJob("d1", Long.MAX_VALUE, new AttemptRef(999_999, 1, 1), run,
        "pwn", new JobExecution(List.of(new Step("pwn", "touch " + work.resolve("pwned"))), Map.of(), 1, 60_000,
            SourceSpec.none(), List.of(), List.of()), "forged")));
    return tries;
  }

  @Test
  void aNodeWithNoCredentialsGetsNothingDoneAnywhere() throws Exception {
    Vertx rogue = join(null);
    try {
      for (Map.Entry<String, Object> tried : everyAddress("rogue")) {
        assertThat(attempt(rogue, tried.getKey(), tried.getValue()))
            .as("%s on %s", tried.getValue().getClass().getSimpleName(), tried.getKey())
            .startsWith("403 refused: it is not sealed");
      }
      assertUnchanged();
      assertThat(cluster.orchestrator.stderr()).contains("refused a message: CreateToken on buildswarm.api.token.create: "
          + "it is not sealed");
    } finally {
      rogue.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aDronesCredentialsSpeakForThatDroneOnlyAndNeverForTheControlPlane() throws Exception {
    Vertx stolen = join(cluster.control.forDrone("d1"));
    try {
      for (Map.Entry<String, Object> tried : everyAddress("d1")) {
        if (tried.getValue() instanceof RegisterDrone) {
          continue; // registering as d1 is what d1's credentials are for
        }
        String answer = attempt(stolen, tried.getKey(), tried.getValue());
        String type = tried.getValue().getClass().getSimpleName();
        if (tried.getKey().equals(Addresses.drone("d1"))) {
          assertThat(answer).as(type).isEqualTo("403 refused: drone d1 may not send to a drone");
        } else if (tried.getValue() instanceof org.buildswarm.protocol.message.FromDrone) {
          assertThat(answer).as(type).isEqualTo("403 refused: drone d1 may not speak for drone d2");
        } else {
          assertThat(answer).as(type).isEqualTo("403 refused: drone d1 may not send " + type);
        }
      }
      assertUnchanged();
    } finally {
      stolen.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** Nothing the rogue asked for happened. */
  private static void assertUnchanged() throws Exception {
    Api.Response listed = cluster.api.get("/api/v1/tokens");
    assertThat(listed.status()).as("%s", listed.text()).isEqualTo(200);
    JsonNode tokens = listed.json().path("tokens");
    tokens.forEach(token -> assertThat(token.path("name").asText()).isNotEqualTo("rogue-admin"));
    assertThat(tokens).as("%s", listed.text()).anySatisfy(token -> assertThat(token.path("name").asText()).isEqualTo("admin"));
    for (JsonNode other : cluster.api.get("/api/v1/runs?limit=100").json().path("runs")) {
      assertThat(other.path("project").asText()).isNotEqualTo("rogue");
    }
    JsonNode job = ClusterSystemTestSupport.jobs(cluster.api.get("/api/v1/runs/" + run).json()).get("long");
    assertThat(job.path("state").asText()).as("neither cancelled nor finished by the rogue").isEqualTo("RUNNING");
    for (JsonNode drone : cluster.api.get("/api/v1/drones").json().path("drones")) {
      assertThat(drone.path("name").asText()).isIn("d1", "d2");
      assertThat(drone.path("state").asText()).as("%s", drone).isEqualTo("online");
    }
    String log = cluster.api.get("/api/v1/jobs/" + job.path("id").asLong() + "/log").text();
    assertThat(log).contains("started").doesNotContain("rogue was here");
    Thread.sleep(1_000); // a command obeyed would have touched it by now
    assertThat(work.resolve("pwned")).doesNotExist();
  }
}
