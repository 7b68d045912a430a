package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.buildswarm.deploy.impl.StateDirectory;
import org.buildswarm.drone.HostGuardOptions;
import org.buildswarm.protocol.ProtocolJson;

/** The single-host swarm in this JVM on an embedded store in a test's directory, with a small HTTP client. */
final class LocalSwarm implements AutoCloseable {
  final SingleHostSwarm swarm;
  final String adminToken;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Reply(int status, JsonNode json, HttpResponse<String> raw) {
    JsonNode error() {
      return json.path("error");
    }
  }

  private LocalSwarm(SingleHostSwarm swarm, String adminToken) {
    this.swarm = swarm;
    this.adminToken = adminToken;
  }

  static LocalSwarm start(Path directory, int cores) throws Exception {
    return start(directory, cores, List.of());
  }

  /** @param projects Git repositories the orchestrator watches, as {@code swarm up --projects} gives them */
  static LocalSwarm start(Path directory, int cores, List<org.buildswarm.orchestrator.discovery.Project> projects)
      throws Exception {
    SingleHostSwarm swarm = new SingleHostSwarm(new SingleHostSwarm.Options(directory.resolve(".buildswarm"),
        // The tests need the drone to take work whatever else this host is doing.
        "127.0.0.1", 0, cores, List.of("linux"), "local", 1_000, null, projects, HostGuardOptions.none()));
    try {
      swarm.start().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      swarm.stop(30_000);
      throw e;
    }
    return new LocalSwarm(swarm, Files.readString(swarm.state().resolve(StateDirectory.ADMIN_TOKEN_FILE)).trim());
  }

  /** Submits a pipeline for project "shop" as admin and waits for the run to end; returns its detail. */
  JsonNode runToEnd(String pipeline) throws Exception {
    Reply created = post("/api/v1/runs", adminToken, Map.of("project", "shop", "pipeline", pipeline));
    if (created.status() != 201) {
      throw new AssertionError("the run was not created: " + created.json());
    }
    return awaitEnd(created.json().path("id").asLong());
  }

  /** Waits for a run to end (60 s at most); returns its detail. */
  JsonNode awaitEnd(long run) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      JsonNode detail = get("/api/v1/runs/" + run, null).json();
      if (detail.path("run").path("finishedAt").isNumber()) {
        return detail;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("run " + run + " did not finish");
  }

  /** Where the local drone reads its secrets. */
  Path secretsDirectory() {
    return swarm.drone().secretsDirectory();
  }

  String url() {
    return swarm.url();
  }

  HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url()).resolve(path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return request;
  }

  Reply send(HttpRequest request) throws Exception {
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode json;
    try {
      json = ProtocolJson.mapper().readTree(response.body());
    } catch (Exception notJson) {
      json = ProtocolJson.mapper().missingNode();
    }
    return new Reply(response.statusCode(), json == null ? ProtocolJson.mapper().missingNode() : json, response);
  }

  Reply get(String path, String token) throws Exception {
    return send(request(path, token).GET().build());
  }

  Reply post(String path, String token, Object body) throws Exception {
    return send(request(path, token).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(body))).build());
  }

  Reply put(String path, String token, Object body) throws Exception {
    return send(request(path, token).header("content-type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(body))).build());
  }

  Reply delete(String path, String token) throws Exception {
    return send(request(path, token).DELETE().build());
  }

  @Override
  public void close() throws Exception {
    swarm.stop(30_000);
  }
}
