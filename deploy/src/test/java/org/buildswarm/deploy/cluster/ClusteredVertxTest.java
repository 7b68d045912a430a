package org.buildswarm.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private Vertx node(int clusterPort, String members, boolean lite, TlsSettings tls) throws Exception {
    Vertx node = await(ClusteredVertx.start(new ClusterSettings(clusterName, List.of(members.split(",")), "127.0.0.1",
        clusterPort, freePort(), lite, tls)));
    nodes.add(node);
    return node;
  }

  @Test
  void membersAndLiteMembersShareOneEventBusThroughTheMemberList() throws Exception {
    int first = freePort();
    String members = "127.0.0.1:" + first;
    Vertx data = node(first, members, false, null);
    Vertx lite = node(freePort(), members, true, null);
    data.eventBus().<String>consumer("echo", message -> message.reply("hello " + message.body())).completion()
        .toCompletionStage().toCompletableFuture().get();
    assertThat(await(lite.eventBus().<String>request("echo", "drone")).body()).isEqualTo("hello drone");
  }

  @Test
  void withTlsOnlyNodesWhoseCertificateTheCaSignedCanTalk() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "needs openssl");
    Path ca = directory.resolve("ca");
    Path other = directory.resolve("other-ca");
    authority(ca);
    authority(other);
    TlsSettings good = certificate(ca, "node");
    TlsSettings alsoGood = certificate(ca, "another-node");
    TlsSettings foreign = certificate(other, "intruder");

    int first = freePort();
    String members = "127.0.0.1:" + first;
    Vertx server = node(first, members, false, good);
    AtomicInteger received = new AtomicInteger();
    server.eventBus().<String>consumer("secret", message -> {
      received.incrementAndGet();
      message.reply("ok");
    }).completion().toCompletionStage().toCompletableFuture().get();

    Vertx friend = node(freePort(), members, true, alsoGood);
    assertThat(await(friend.eventBus().<String>request("secret", "hi")).body()).isEqualTo("ok");
    assertThat(received).hasValue(1);

    Vertx intruder = node(freePort(), members, true, foreign);
    Throwable failure = intruder.eventBus().request("secret", "let me in", new DeliveryOptions().setSendTimeout(5_000))
        .toCompletionStage().toCompletableFuture().handle((reply, error) -> error).get(60, TimeUnit.SECONDS);
    assertThat(failure).isNotNull();
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    assertThat(cause).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) cause).failureType()).isIn(ReplyFailure.TIMEOUT, ReplyFailure.ERROR);
    assertThat(received).as("the foreign node's message never arrived").hasValue(1);
  }

  private static void authority(Path dir) throws Exception {
    Files.createDirectories(dir);
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=" + dir.getFileName());
  }

  private static TlsSettings certificate(Path ca, String name) throws Exception {
    Path extensions = ca.resolve(name + ".ext");
    Files.writeString(extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    openssl(ca, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
    openssl(ca, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext");
    return new TlsSettings(ca.resolve(name + ".crt"), ca.resolve(name + ".key"), ca.resolve("ca.crt"));
  }

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("openssl failed: " + output);
    }
  }
}
