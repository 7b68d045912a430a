package org.buildswarm.deploy.cluster;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.buildswarm.deploy.impl.CertificateAuthority;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.auth.Credentials;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HeartbeatReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several clustered nodes in one JVM on 127.0.0.1 (a random cluster name each test). */
class ClusteredVertxTest {
  @TempDir
  Path directory;

  private final List<Vertx> nodes = new ArrayList<>();
  private final String clusterName = "test-" + UUID.randomUUID();

  @AfterEach
  void stop() throws Exception {
    for (Vertx node : nodes) {
      await(node.close());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private Vertx node(int clusterPort, String members, boolean lite, TlsSettings tls) throws Exception {
    return node(clusterPort, members, lite, tls, null);
  }

  private Vertx node(int clusterPort, String members, boolean lite, TlsSettings tls, Credentials credentials)
      throws Exception {
    // Only a port some member list names is chosen in advance; the others are 0, bound by whoever needs
    // them, so no other process can take one between choosing and binding.
    Vertx node = await(ClusteredVertx.start(new ClusterSettings(clusterName, List.of(members.split(",")), "127.0.0.1",
        clusterPort, 0, lite, tls, credentials)));
    nodes.add(node);
    return node;
  }

  @Test
  void membersAndLiteMembersShareOneEventBusThroughTheMemberList() throws Exception {
    int first = freePort();
    String members = "127.0.0.1:" + first;
    Vertx data = node(first, members, false, null);
    Vertx lite = node(0, members, true, null);
    data.eventBus().<String>consumer("echo", message -> message.reply("hello " + message.body())).completion()
        .toCompletionStage().toCompletableFuture().get();
    assertThat(await(lite.eventBus().<String>request("echo", "drone")).body()).isEqualTo("hello drone");
  }

  @Test
  void withTlsOnlyNodesWhoseCertificateTheSwarmsCaSignedCanTalk() throws Exception {
    // What `swarm credentials tls` makes: the swarm's CA and a certificate per node.
    CertificateAuthority ca = new CertificateAuthority(directory.resolve("ca"));
    ca.create("test");
    CertificateAuthority other = new CertificateAuthority(directory.resolve("other-ca"));
    other.create("elsewhere");
    TlsSettings good = ca.issue("node", List.of("127.0.0.1", "localhost"));
    TlsSettings alsoGood = ca.issue("another-node", List.of("127.0.0.1"));
    TlsSettings foreign = other.issue("intruder", List.of("127.0.0.1"));
    assertThat(Files.getPosixFilePermissions(good.privateKey())).containsExactlyInAnyOrder(
        java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

    int first = freePort();
    String members = "127.0.0.1:" + first;
    Vertx server = node(first, members, false, good);
    AtomicInteger received = new AtomicInteger();
    server.eventBus().<String>consumer("secret", message -> {
      received.incrementAndGet();
      message.reply("ok");
    }).completion().toCompletionStage().toCompletableFuture().get();

    Vertx friend = node(0, members, true, alsoGood);
    assertThat(await(friend.eventBus().<String>request("secret", "hi")).body()).isEqualTo("ok");
    assertThat(received).hasValue(1);

    Vertx intruder = node(0, members, true, foreign);
    Throwable failure = intruder.eventBus().request("secret", "let me in", new DeliveryOptions().setSendTimeout(5_000))
        .toCompletionStage().toCompletableFuture().handle((reply, error) -> error).get(60, TimeUnit.SECONDS);
    assertThat(failure).isNotNull();
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    assertThat(cause).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) cause).failureType()).isIn(ReplyFailure.TIMEOUT, ReplyFailure.ERROR);
    assertThat(received).as("the foreign node's message never arrived").hasValue(1);
  }

  @Test
  void onAnAuthenticatedBusANodeWithoutCredentialsAndADroneSpeakingForAnotherGetNothingDone() throws Exception {
    Credentials control = Credentials.newSwarm(new java.security.SecureRandom());
    int first = freePort();
    String members = "127.0.0.1:" + first;
    Vertx orchestrator = node(first, members, false, null, control);
    AtomicInteger acted = new AtomicInteger();
    orchestrator.eventBus().<Heartbeat>consumer(Addresses.DRONE_HEARTBEAT, message -> {
      acted.incrementAndGet();
      message.reply(new HeartbeatReply(message.body().drone(), false, List.of()));
    }).completion().toCompletionStage().toCompletableFuture().get();

    Vertx drone = node(0, members, true, null, control.forDrone("d1"));
    HeartbeatReply reply = await(drone.eventBus().<HeartbeatReply>request(Addresses.DRONE_HEARTBEAT, heartbeat("d1")))
        .body();
    assertThat(reply.drone()).as("its own heartbeat gets through, and the sealed answer back").isEqualTo("d1");

    Throwable impersonation = failureOf(drone.eventBus().request(Addresses.DRONE_HEARTBEAT, heartbeat("d2")));
    assertThat(((ReplyException) impersonation).failureCode()).isEqualTo(403);
    assertThat(impersonation.getMessage()).isEqualTo("refused: drone d1 may not speak for drone d2");

    Vertx rogue = node(0, members, true, null, null);
    Throwable unsealed = failureOf(rogue.eventBus().request(Addresses.DRONE_HEARTBEAT, heartbeat("d1")));
    assertThat(unsealed.getMessage()).contains("not sealed");
    Throwable raw = failureOf(rogue.eventBus().request(Addresses.DRONE_HEARTBEAT, "{\"drone\":\"d1\"}"));
    assertThat(raw.getMessage()).contains("not a buildswarm message");
    assertThat(acted).as("only the drone's own heartbeat was acted on").hasValue(1);
  }

  private static Heartbeat heartbeat(String drone) {
    return new Heartbeat(drone, 1, 1, 0.1, 1, 1, 1, org.buildswarm.protocol.DroneMode.ACTIVE, List.of(), null);
  }

  private static Throwable failureOf(Future<?> request) throws Exception {
    Throwable failure = request.toCompletionStage().toCompletableFuture().handle((reply, error) -> error)
        .get(60, TimeUnit.SECONDS);
    assertThat(failure).isNotNull();
    return failure.getCause() != null && !(failure instanceof ReplyException) ? failure.getCause() : failure;
  }
}
