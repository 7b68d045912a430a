package org.buildswarm.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.buildswarm.protocol.ProtocolJson;

/** A small client of the gateway's REST API for system tests. */
final class Api {
  private final URI base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  Api(String baseUrl, String token) {
    this.base = URI.create(baseUrl);
    this.token = token;
  }

  record Response(int status, JsonNode json, String text, HttpResponse<String> raw) {}

  Response get(String path) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return send(request);
  }

  Response post(String path, Object body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(body)));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return send(request);
  }

  /** Polls a run until it ends and returns its detail. */
  JsonNode awaitRun(long runId, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode detail = null;
    while (System.nanoTime() < deadline) {
      detail = get("/api/v1/runs/" + runId).json();
      String state = detail.path("run").path("state").asText();
      if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
        return detail;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("run " + runId + " did not finish within " + timeout + ": " + detail);
  }

  /** A job's complete log (waits until the drone has shipped all of it). */
  String awaitLog(long jobId, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Response last = null;
    while (System.nanoTime() < deadline) {
      last = get("/api/v1/jobs/" + jobId + "/log");
      if (last.status() == 200 && "true".equals(last.raw().headers().firstValue("x-log-complete").orElse(""))) {
        return last.text();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("log of job " + jobId + " not complete within " + timeout + ": " + last);
  }

  static Map<String, Object> submission(String project, String pipelineYaml, String sourceDirectory) {
    return Map.of("project", project, "pipeline", pipelineYaml,
        "source", Map.of("kind", "directory", "location", sourceDirectory));
  }

  private Response send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode json;
    try {
      json = ProtocolJson.mapper().readTree(response.body());
    } catch (Exception e) {
      json = ProtocolJson.mapper().missingNode();
    }
    return new Response(response.statusCode(), json, response.body(), response);
  }
}
