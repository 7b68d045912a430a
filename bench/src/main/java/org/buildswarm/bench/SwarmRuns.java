package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.buildswarm.protocol.ProtocolJson;

/** Runs the benchmarks submit to a swarm they started, through its HTTP API. */
final class SwarmRuns {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private SwarmRuns() {}

  /**
   * Submits a run ({@code POST /api/v1/runs} with {@code submission}) and returns its detail once it
   * succeeded, or null when it has not finished within {@code timeoutMs}; a failed or cancelled run throws.
   */
  static JsonNode submitAndAwait(String url, String token, Map<String, Object> submission, long timeoutMs)
      throws Exception {
    HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(url + "api/v1/runs"))
        .header("authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(submission)))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (created.statusCode() != 201) {
      throw new IOException("submission refused: " + created.body());
    }
    long run = ProtocolJson.mapper().readTree(created.body()).path("id").asLong();
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < timeoutMs) {
      JsonNode detail = ProtocolJson.mapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url
          + "api/v1/runs/" + run)).header("authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      String state = detail.path("run").path("state").asText();
      if (state.equals("SUCCEEDED")) {
        return detail;
      }
      if (state.equals("FAILED") || state.equals("CANCELLED")) {
        throw new IOException("run " + run + " " + state + ": " + detail.path("run"));
      }
      Thread.sleep(500);
    }
    return null;
  }
}
