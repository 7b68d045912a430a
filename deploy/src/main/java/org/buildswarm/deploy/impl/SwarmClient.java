package org.buildswarm.deploy.impl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.LineTime;

/** The CLI's view of the gateway's REST API (blocking; the CLI has nothing else to do meanwhile). */
public final class SwarmClient {
  /**
   * What went wrong talking to the swarm, for people: Java's HTTP client often throws with no
   * message at all (a refused connection), which would print as "null".
   */
  public static String problem(Throwable failure) {
    for (Throwable link = failure; link != null; link = link.getCause()) {
      if (link instanceof java.net.ConnectException) {
        return "connection refused (nothing listens there: is `swarm up` or the gateway running?)";
      }
    }
    Throwable cause = failure;
    while (cause.getMessage() == null && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof java.net.http.HttpTimeoutException) {
      return "no answer in time";
    }
    if (cause instanceof java.nio.channels.UnresolvedAddressException || cause instanceof java.net.UnknownHostException) {
      return "unknown host";
    }
    if (cause.getMessage() == null || cause.getMessage().isBlank()) {
      return cause.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
    }
    return cause.getMessage();
  }

  /** A non-2xx answer, in the API's error shape. */
  public static final class ApiException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final transient JsonNode error;

    /** A refusal the CLI makes itself, before asking the swarm (a name that is not there). */
    public ApiException(int status, String message) {
      this(status, null, message);
    }

    ApiException(int status, JsonNode error, String message) {
      super(message);
      this.status = status;
      this.error = error;
    }

    public int status() {
      return status;
    }

    /** The {@code error} object of the body, or a missing node. */
    public JsonNode error() {
      return error;
    }
  }

  private final URI base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public SwarmClient(String baseUrl, String token) {
    this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    this.token = token;
  }

  public URI base() {
    return base;
  }

  /** @return the new run's id */
  public long submit(Map<String, Object> body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("api/v1/runs"))
        .timeout(Duration.ofSeconds(60))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(body)));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    JsonNode created = send(request.build());
    return created.get("id").asLong();
  }

  /** GET a JSON resource (with the token, for the few reads that need one). */
  public JsonNode get(String path) throws IOException, InterruptedException {
    return send(request(path).GET().build());
  }

  /** POST with the token; the body is JSON (or nothing). */
  public JsonNode post(String path, Object body) throws IOException, InterruptedException {
    return send(request(path)
        .header("content-type", "application/json")
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(ProtocolJson.toBytes(body)))
        .build());
  }

  /** DELETE with the token. */
  public JsonNode delete(String path) throws IOException, InterruptedException {
    return send(request(path).DELETE().build());
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path.startsWith("/") ? path.substring(1) : path))
        .timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return request;
  }

  /** A job's log from {@code offset}: its bytes, its size so far and whether it is complete. */
  public record LogPart(byte[] data, long size, boolean complete, int attempt) {
    public String text() {
      return new String(data, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  public LogPart log(long jobId, Integer attempt, long offset) throws IOException, InterruptedException {
    String query = "api/v1/jobs/" + jobId + "/log?offset=" + offset + (attempt == null ? "" : "&attempt=" + attempt);
    HttpResponse<byte[]> response = http.send(request(query).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      JsonNode error;
      try {
        error = ProtocolJson.mapper().readTree(response.body()).path("error");
      } catch (IOException e) {
        error = ProtocolJson.mapper().missingNode();
      }
      throw new ApiException(response.statusCode(), error, error.path("message").asText("HTTP " + response.statusCode()));
    }
    return new LogPart(response.body(),
        Long.parseLong(response.headers().firstValue("x-log-size").orElse("0")),
        Boolean.parseBoolean(response.headers().firstValue("x-log-complete").orElse("false")),
        Integer.parseInt(response.headers().firstValue("x-log-attempt").orElse("0")));
  }

  /** The time index entries of a job's log (an attempt's) from byte {@code from}. */
  public java.util.List<LineTime> logTimes(long jobId, int attempt, long from) throws IOException, InterruptedException {
    JsonNode body = get("api/v1/jobs/" + jobId + "/log/times?attempt=" + attempt + "&from=" + from);
    java.util.List<LineTime> times = new java.util.ArrayList<>();
    body.path("times").forEach(pair -> times.add(new LineTime(pair.path(0).asLong(), pair.path(1).asLong())));
    return times;
  }

  /** A job's test results (of its latest attempt that has some). */
  public org.buildswarm.protocol.api.JobTests tests(long jobId) throws IOException, InterruptedException {
    return ProtocolJson.mapper().treeToValue(get("api/v1/jobs/" + jobId + "/tests"),
        org.buildswarm.protocol.api.JobTests.class);
  }

  public RunDetail run(long runId) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(base.resolve("api/v1/runs/" + runId)).timeout(Duration.ofSeconds(30))
        .GET().build();
    return ProtocolJson.mapper().treeToValue(send(request), RunDetail.class);
  }

  /**
   * Follows the swarm's live events on a background thread, handing each to {@code sink} until the
   * stream ends or the returned handle is closed. Returns once the stream is connected, so nothing
   * that happens afterwards is missed.
   */
  public AutoCloseable followEvents(Consumer<RunEvent> sink) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(base.resolve("api/v1/events"))
        .header("accept", "text/event-stream").GET().build();
    HttpResponse<Stream<String>> response;
    try {
      response = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot follow live events: " + e.getMessage(), e);
    }
    if (response.statusCode() != 200) {
      response.body().close();
      throw new IOException("cannot follow live events: HTTP " + response.statusCode());
    }
    Stream<String> lines = response.body();
    Thread reader = new Thread(() -> {
      try {
        lines.filter(line -> line.startsWith("data:")).forEach(line -> {
          try {
            sink.accept(ProtocolJson.mapper().readValue(line.substring(5).trim(), RunEvent.class));
          } catch (IOException e) {
            // not an event we understand; the caller reads the run at the end anyway
          }
        });
      } catch (RuntimeException closed) {
        // the stream was closed
      }
    }, "swarm-run-events");
    reader.setDaemon(true);
    reader.start();
    return lines::close;
  }

  private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    JsonNode body;
    try {
      body = ProtocolJson.mapper().readTree(response.body());
    } catch (IOException e) {
      body = null;
    }
    if (response.statusCode() / 100 != 2) {
      JsonNode error = body == null ? ProtocolJson.mapper().missingNode() : body.path("error");
      String message = error.path("message").asText("HTTP " + response.statusCode());
      throw new ApiException(response.statusCode(), error, message);
    }
    if (body == null) {
      throw new IOException("the gateway answered with something that is not JSON");
    }
    return body;
  }
}
