package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drone's side of artifact publishing, against a stand-in gateway. */
class ArtifactPublisherTest {
  @TempDir
  Path workspace;

  @TempDir
  Path outside;

  private HttpServer gateway;
  private final Map<String, byte[]> received = new ConcurrentHashMap<>();
  private final Map<String, String> headers = new ConcurrentHashMap<>();
  private final AtomicInteger failuresToGive = new AtomicInteger();
  private final List<String> log = new ArrayList<>();

  @BeforeEach
  void startGateway() throws IOException {
    gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/api/v1/jobs/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      int status = failuresToGive.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 503 : 201;
      if (status == 201) {
        received.put(exchange.getRequestURI().getPath(), body);
        headers.put("authorization", exchange.getRequestHeaders().getFirst("authorization"));
        headers.put("sha256", exchange.getRequestHeaders().getFirst("x-checksum-sha256"));
      }
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    gateway.start();
  }

  @AfterEach
  void stopGateway() {
    gateway.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + gateway.getAddress().getPort() + "/";
  }

  private static AssignJob job(ArtifactSpec... artifacts) {
    return new AssignJob("d1", 1, new AttemptRef(42, 1, 7), 3, "package", new JobExecution(List.of(new Step("s", "true")),
        Map.of(), 1, 60_000, SourceSpec.none(), List.of(artifacts), List.of()), "42.1.7.cafe");
  }

  private String publish(AssignJob job) {
    return new ArtifactPublisher(this::url, Duration.ofSeconds(10), 10).publish(job, workspace, log::add);
  }

  @Test
  void uploadsEachFileWithItsChecksumAndTheJobToken() throws Exception {
    Files.createDirectories(workspace.resolve("dist"));
    Files.writeString(workspace.resolve("dist/app.txt"), "hello artifact");
    failuresToGive.set(1); // the first try meets a gateway that is busy

    assertThat(publish(job(new ArtifactSpec("app", "dist/app.txt")))).isNull();
    assertThat(received.get("/api/v1/jobs/42/artifacts/app")).asString(StandardCharsets.UTF_8).isEqualTo("hello artifact");
    assertThat(headers.get("authorization")).isEqualTo("Bearer 42.1.7.cafe");
    assertThat(headers.get("sha256")).isEqualTo(ArtifactPublisher.sha256(workspace.resolve("dist/app.txt")));
    assertThat(log).anyMatch(line -> line.contains("published artifact \"app\""));
  }

  @Test
  void aMissingFileOrOneThatLeadsOutOfTheWorkspaceFailsTheJob() throws Exception {
    assertThat(publish(job(new ArtifactSpec("app", "dist/none.txt")))).contains("no file at dist/none.txt");

    Files.writeString(outside.resolve("secret"), "not yours");
    Files.createSymbolicLink(workspace.resolve("escape"), outside.resolve("secret"));
    assertThat(publish(job(new ArtifactSpec("leak", "escape")))).contains("leads outside the workspace");
    Files.createDirectories(workspace.resolve("dir"));
    assertThat(publish(job(new ArtifactSpec("d", "dir")))).contains("not a regular file");
    assertThat(received).isEmpty();
  }

  @Test
  void aGatewayThatCannotTakeTheFileDoesNotFailTheBuild() throws Exception {
    Files.writeString(workspace.resolve("app.bin"), "x");
    failuresToGive.set(100);
    assertThat(publish(job(new ArtifactSpec("app", "app.bin")))).isNull();
    assertThat(log).anyMatch(line -> line.contains("\"app\" was NOT published: HTTP 503"));
  }
}
