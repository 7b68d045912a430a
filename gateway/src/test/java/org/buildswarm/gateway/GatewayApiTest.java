package org.buildswarm.gateway;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LineTime;
import org.buildswarm.protocol.message.LogAck;
import org.buildswarm.protocol.message.LogChunk;
import org.buildswarm.protocol.pipeline.PipelineProblem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The gateway against a stand-in orchestrator on the event bus. */
@ExtendWith(VertxExtension.class)
class GatewayApiTest {
  private static final String DEVELOPER = "dev-token";
  private static final String VIEWER = "viewer-token";

  @TempDir
  Path data;

  private Vertx vertx;
  private URI base;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
    StandInTokens.answer(vertx.eventBus(), java.util.Map.of(DEVELOPER, new TokenInfo("dev", Role.DEVELOPER),
        VIEWER, new TokenInfo("watcher", Role.VIEWER)));
    vertx.eventBus().<SubmitRun>consumer(Addresses.RUN_SUBMIT, message -> message.reply(
        message.body().pipelineYaml().contains("bad")
            ? SubmitResult.invalid(List.of(new PipelineProblem(".buildswarm.yml", 2, 5, "it is bad")))
            : SubmitResult.created(41)));
    vertx.eventBus().consumer(Addresses.RUN_GET, message -> message.fail(ApiFailures.NOT_FOUND, "no run 7"));
    vertx.eventBus().<org.buildswarm.protocol.api.GetJobTests>consumer(Addresses.JOB_TESTS_GET, message -> {
      if (message.body().jobId() == 5) {
        int attempt = message.body().attempt() == null ? 3 : message.body().attempt();
        message.reply(new org.buildswarm.protocol.api.JobTests(5, attempt,
            new org.buildswarm.protocol.api.TestSummary(3, 1, 1, 0, 1, 40), List.of(new org.buildswarm.protocol.api.TestFailure(
                "s", "com.example.A", "b", "failure", "no", "AssertionError", "trace", "out", 7)), false));
      } else {
        message.fail(ApiFailures.NOT_FOUND, "no test results for job " + message.body().jobId());
      }
    });
    LogStore logs = new LogStore(data.resolve("logs"));
    GatewayOptions options = GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).withLimits(1024, 1024 * 1024)
        .withTimeouts(2_000, 30_000);
    GatewayVerticle gateway = new GatewayVerticle(options, logs);
    await(vertx.deployVerticle(new LogSinkVerticle(logs)));
    await(vertx.deployVerticle(gateway));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  private HttpResponse<String> post(String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> response) throws Exception {
    return ProtocolJson.mapper().readTree(response.body()).path("error");
  }

  @Test
  void aJobsTestResultsAreReadFromTheOrchestratorByAttempt() throws Exception {
    HttpResponse<String> latest = get("/api/v1/jobs/5/tests");
    assertThat(latest.statusCode()).isEqualTo(200);
    JsonNode body = ProtocolJson.mapper().readTree(latest.body());
    assertThat(body.path("attempt").asInt()).isEqualTo(3);
    assertThat(body.path("summary").toString()).isEqualTo(
        "{\"total\":3,\"passed\":1,\"failed\":1,\"errored\":0,\"skipped\":1,\"durationMs\":40}");
    assertThat(body.path("failures").get(0).path("classname").asText()).isEqualTo("com.example.A");
    assertThat(body.path("failures").get(0).path("output").asText()).isEqualTo("out");
    assertThat(body.path("truncated").asBoolean(true)).isFalse();
    assertThat(ProtocolJson.mapper().readTree(get("/api/v1/jobs/5/tests?attempt=2").body()).path("attempt").asInt())
        .isEqualTo(2);
    HttpResponse<String> none = get("/api/v1/jobs/6/tests");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(error(none).path("code").asText()).isEqualTo("not_found");
    assertThat(error(none).path("message").asText()).isEqualTo("no test results for job 6");
    assertThat(get("/api/v1/jobs/5/tests?attempt=first").statusCode()).isEqualTo(400);
    assertThat(get("/api/v1/jobs/x/tests").statusCode()).isEqualTo(400);
  }

  @Test
  void submittingNeedsADeveloperToken() throws Exception {
    HttpResponse<String> anonymous = post("/api/v1/runs", null, "{\"pipeline\":\"jobs: {}\"}");
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(error(anonymous).path("code").asText()).isEqualTo("unauthorized");
    assertThat(anonymous.headers().firstValue("www-authenticate")).isPresent();

    assertThat(error(post("/api/v1/runs", "guess", "{\"pipeline\":\"x\"}")).path("message").asText())
        .isEqualTo("unknown API token");

    HttpResponse<String> viewer = post("/api/v1/runs", VIEWER, "{\"pipeline\":\"x\"}");
    assertThat(viewer.statusCode()).isEqualTo(403);
    assertThat(error(viewer).path("message").asText()).contains("role viewer; this call needs developer");

    HttpResponse<String> created = post("/api/v1/runs", DEVELOPER, "{\"pipeline\":\"jobs: {}\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("location")).hasValue("/api/v1/runs/41");
  }

  @Test
  void invalidPipelineIs422WithEveryProblem() throws Exception {
    HttpResponse<String> response = post("/api/v1/runs", DEVELOPER, "{\"pipeline\":\"bad\"}");
    assertThat(response.statusCode()).isEqualTo(422);
    JsonNode error = error(response);
    assertThat(error.path("code").asText()).isEqualTo("invalid_pipeline");
    assertThat(error.path("details").get(0).path("line").asInt()).isEqualTo(2);
    assertThat(error.path("details").get(0).path("column").asInt()).isEqualTo(5);
  }

  @Test
  void badBodiesAreRefusedClearly() throws Exception {
    assertThat(error(post("/api/v1/runs", DEVELOPER, "not json")).path("code").asText()).isEqualTo("bad_request");
    assertThat(error(post("/api/v1/runs", DEVELOPER, "{}")).path("message").asText()).contains("\"pipeline\"");
    assertThat(error(post("/api/v1/runs", DEVELOPER, "{\"pipeline\":\"x\",\"source\":{\"kind\":\"ftp\"}}"))
        .path("message").asText()).contains("kind none, directory or git");
    HttpResponse<String> huge = post("/api/v1/runs", DEVELOPER, "{\"pipeline\":\"" + "x".repeat(5000) + "\"}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(error(huge).path("code").asText()).isEqualTo("payload_too_large");
  }

  @Test
  void orchestratorFailuresMapToHttpStatuses() throws Exception {
    HttpResponse<String> missing = get("/api/v1/runs/7");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(error(missing).path("message").asText()).isEqualTo("no run 7");

    HttpResponse<String> away = get("/api/v1/drones");
    assertThat(away.statusCode()).isEqualTo(503);
    assertThat(away.headers().firstValue("retry-after")).isPresent();
    assertThat(error(away).path("code").asText()).isEqualTo("orchestrator_unavailable");

    assertThat(get("/health/live").statusCode()).isEqualTo(200);
    assertThat(get("/health/ready").statusCode()).isEqualTo(503);
    assertThat(error(get("/api/v1/nothing")).path("code").asText()).isEqualTo("not_found");
    assertThat(get("/api/v1/runs/abc").statusCode()).isEqualTo(400);
  }

  @Test
  void servesTheUiButNothingOutsideIt() throws Exception {
    assertThat(get("/").body()).contains("<title>buildswarm</title>");
    assertThat(get("/app.js").headers().firstValue("content-type").orElse("")).contains("javascript");
    assertThat(get("/../pom.xml").statusCode()).isNotEqualTo(200);
    assertThat(get("/%2e%2e/%2e%2e/etc/passwd").statusCode()).isNotEqualTo(200);
    assertThat(get("/webroot/index.html").statusCode()).isEqualTo(404);
  }

  @Test
  void logChunksFromDronesAreServedWithTheirCompleteness() throws Exception {
    AttemptRef attempt = new AttemptRef(12, 1, 99);
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(5_000);
    LogAck first = await(vertx.eventBus().<LogAck>request(Addresses.LOG_APPEND,
        new LogChunk("d1", attempt, "job-token", 0, "line one\n".getBytes(StandardCharsets.UTF_8), false), delivery)).body();
    assertThat(first.length()).isEqualTo(9);
    HttpResponse<String> partial = get("/api/v1/jobs/12/log");
    assertThat(partial.body()).isEqualTo("line one\n");
    assertThat(partial.headers().firstValue("x-log-complete")).hasValue("false");
    await(vertx.eventBus().request(Addresses.LOG_APPEND,
        new LogChunk("d1", attempt, "job-token", 9, "line two\n".getBytes(StandardCharsets.UTF_8), true), delivery));
    HttpResponse<String> complete = get("/api/v1/jobs/12/log?offset=9");
    assertThat(complete.body()).isEqualTo("line two\n");
    assertThat(complete.headers().firstValue("x-log-complete")).hasValue("true");
    assertThat(complete.headers().firstValue("x-log-size")).hasValue("18");
    assertThat(get("/api/v1/jobs/13/log").statusCode()).isEqualTo(404);
  }

  @Test
  void aLogsTimesAreServedFromAnOffsetForTheLatestOrAGivenAttempt() throws Exception {
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(5_000);
    AttemptRef first = new AttemptRef(14, 1, 98);
    AttemptRef second = new AttemptRef(14, 2, 99);
    await(vertx.eventBus().request(Addresses.LOG_APPEND, new LogChunk("d1", first, "job-token", 0,
        "old\n".getBytes(StandardCharsets.UTF_8), true, List.of(new LineTime(0, 500))), delivery));
    await(vertx.eventBus().request(Addresses.LOG_APPEND, new LogChunk("d1", second, "job-token", 0,
        "a\nb\nc\n".getBytes(StandardCharsets.UTF_8), false, List.of(new LineTime(0, 1_000), new LineTime(4, 2_000))),
        delivery));
    // a resend of the same bytes with other times changes nothing; the next chunk adds its own
    await(vertx.eventBus().request(Addresses.LOG_APPEND, new LogChunk("d1", second, "job-token", 0,
        "a\nb\nc\n".getBytes(StandardCharsets.UTF_8), false, List.of(new LineTime(2, 1_500))), delivery));
    await(vertx.eventBus().request(Addresses.LOG_APPEND, new LogChunk("d1", second, "job-token", 6,
        "d\n".getBytes(StandardCharsets.UTF_8), true, List.of(new LineTime(6, 3_000))), delivery));

    HttpResponse<String> latest = get("/api/v1/jobs/14/log/times");
    assertThat(latest.statusCode()).as(latest.body()).isEqualTo(200);
    assertThat(latest.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    assertThat(latest.body()).isEqualTo("{\"attempt\":2,\"times\":[[0,1000],[4,2000],[6,3000]]}");
    assertThat(get("/api/v1/jobs/14/log/times?from=1").body()).isEqualTo("{\"attempt\":2,\"times\":[[4,2000],[6,3000]]}");
    assertThat(get("/api/v1/jobs/14/log/times?from=4").body()).isEqualTo("{\"attempt\":2,\"times\":[[4,2000],[6,3000]]}");
    assertThat(get("/api/v1/jobs/14/log/times?from=99").body()).isEqualTo("{\"attempt\":2,\"times\":[]}");
    assertThat(get("/api/v1/jobs/14/log/times?attempt=1").body()).isEqualTo("{\"attempt\":1,\"times\":[[0,500]]}");

    HttpResponse<String> none = get("/api/v1/jobs/15/log/times");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(error(none).path("code").asText()).isEqualTo("not_found");
    assertThat(get("/api/v1/jobs/14/log/times?attempt=3").statusCode()).isEqualTo(404);
    HttpResponse<String> bad = get("/api/v1/jobs/14/log/times?from=soon");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(error(bad).path("message").asText()).contains("\"from\" must be a number");
    assertThat(get("/api/v1/jobs/14/log/times?attempt=0").statusCode()).isEqualTo(400);
    assertThat(get("/api/v1/jobs/x/log/times").statusCode()).isEqualTo(400);
  }
}
