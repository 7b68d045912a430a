package org.buildswarm.gateway;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.TokenInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway against slow, greedy and careless clients, over real sockets: trickled headers
 * (slowloris), more live-event streams than it serves, wrong methods, oversized request lines and
 * headers, bad bodies — each answered in the error shape, without internals — and reads that need
 * a token when it is configured so.
 */
class HttpHardeningTest {
  private static final String VIEWER = "viewer-token";
  private static final String DEVELOPER = "developer-token";
  private static final long HEADER_TIMEOUT_MS = 1_500;
  private static final int MAX_STREAMS = 3;

  @TempDir
  Path data;
  private Vertx vertx;
  private URI base;
  private int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private void start(Boolean readsNeedToken) throws Exception {
    vertx = Vertx.vertx();
    ProtocolCodecs.register(vertx.eventBus());
    StandInTokens.answer(vertx.eventBus(), java.util.Map.of(VIEWER, new TokenInfo("watcher", Role.VIEWER),
        DEVELOPER, new TokenInfo("dev", Role.DEVELOPER)));
    // An orchestrator whose store fails with its own words: they must not reach the client.
    vertx.eventBus().consumer(Addresses.RUN_SUBMIT, message -> message.fail(ApiFailures.UNAVAILABLE,
        "org.postgresql.util.PSQLException: ERROR: value too long, SQL: INSERT INTO runs (project) VALUES ($1)"));
    vertx.eventBus().consumer(Addresses.RUN_LIST, message -> message.reply(
        new org.buildswarm.protocol.api.RunPage(List.of(), null)));
    LogStore logs = new LogStore(data.resolve("logs"));
    GatewayOptions options = GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).withTimeouts(2_000, 30_000)
        .withReadsNeedToken(readsNeedToken)
        .withHttpLimits(new GatewayOptions.HttpLimits(HEADER_TIMEOUT_MS, 60_000, MAX_STREAMS));
    GatewayVerticle gateway = new GatewayVerticle(options, logs);
    await(vertx.deployVerticle(new LogSinkVerticle(logs)));
    await(vertx.deployVerticle(gateway));
    port = gateway.port();
    base = URI.create("http://127.0.0.1:" + port);
  }

  @AfterEach
  void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
  }

  private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(String body) throws Exception {
    return ProtocolJson.mapper().readTree(body).path("error");
  }

  /** Sends raw bytes, returns what the server answered until it closed (or 5 s passed). */
  private String raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void clientsTricklingHeadersAreCutOffWhileOthersAreServed() throws Exception {
    start(false);
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        Socket socket = new Socket("127.0.0.1", port);
        socket.getOutputStream().write("GET /api/v1/runs HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        slow.add(socket);
      }
      long started = System.nanoTime();
      // Keep trickling a header byte by byte: each byte would reset an idle timeout.
      List<Socket> open = new ArrayList<>(slow);
      while (!open.isEmpty() && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20)) {
        for (Socket socket : List.copyOf(open)) {
          try {
            OutputStream out = socket.getOutputStream();
            out.write('X');
            out.flush();
            socket.setSoTimeout(1);
            InputStream in = socket.getInputStream();
            if (in.read() < 0) {
              open.remove(socket);
            }
          } catch (SocketTimeoutException stillOpen) {
            // not closed yet
          } catch (java.io.IOException closed) {
            open.remove(socket);
          }
        }
        assertThat(send("GET", "/api/v1/runs", null, null).statusCode()).as("others are served meanwhile")
            .isEqualTo(200);
        Thread.sleep(200);
      }
      assertThat(open).as("trickling connections closed").isEmpty();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).as("within the header timeout, "
          + "not at the end of the test's patience").isLessThan(HEADER_TIMEOUT_MS + 8_000);
    } finally {
      for (Socket socket : slow) {
        socket.close();
      }
    }
  }

  @Test
  void liveEventStreamsAreCappedWith503AndTheErrorShape() throws Exception {
    start(false);
    List<java.util.concurrent.CompletableFuture<HttpResponse<InputStream>>> streams = new ArrayList<>();
    for (int i = 0; i < MAX_STREAMS; i++) {
      HttpResponse<InputStream> open = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/events")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(open.statusCode()).isEqualTo(200);
      streams.add(java.util.concurrent.CompletableFuture.completedFuture(open));
    }
    HttpResponse<String> refused = send("GET", "/api/v1/events", null, null);
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("retry-after")).isPresent();
    assertThat(error(refused.body()).path("code").asText()).isEqualTo("too_many_streams");
    streams.get(0).get().body().close();
    long deadline = System.currentTimeMillis() + 10_000;
    int status = 503;
    while (status == 503 && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      HttpResponse<InputStream> again = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/events")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      status = again.statusCode();
      again.body().close();
    }
    assertThat(status).as("a freed place is taken again").isEqualTo(200);
    for (var stream : streams) {
      stream.get().body().close();
    }
  }

  @Test
  void theUiMayNotBeFramedAndLoadsOnlyItsOwnScripts() throws Exception {
    start(false);
    HttpResponse<String> page = send("GET", "/", null, null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("x-frame-options")).hasValue("DENY");
    assertThat(page.headers().firstValue("content-security-policy")).get().asString()
        .contains("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-eval");
    assertThat(page.body()).doesNotContainPattern("<script(?![^>]*\\bsrc=)").doesNotContain("onclick=");
  }

  @Test
  void wrongMethodsOversizedRequestsAndBadBodiesGetTheErrorShapeWithoutInternals() throws Exception {
    start(false);
    HttpResponse<String> wrongMethod = send("DELETE", "/api/v1/runs", DEVELOPER, null);
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(error(wrongMethod.body()).path("code").asText()).isEqualTo("method_not_allowed");

    String longLine = raw("GET /api/v1/runs?" + "x".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(longLine).matches("(?s)HTTP/1\\.[01] 414 .*");
    assertThat(error(longLine.substring(longLine.indexOf("\r\n\r\n") + 4)).path("code").asText()).isEqualTo("uri_too_long");
    String bigHeaders = raw("GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(20_000) + "\r\n\r\n");
    assertThat(bigHeaders).matches("(?s)HTTP/1\\.[01] 431 .*");
    assertThat(error(bigHeaders.substring(bigHeaders.indexOf("\r\n\r\n") + 4)).path("code").asText())
        .isEqualTo("headers_too_large");

    HttpResponse<String> notJson = send("POST", "/api/v1/runs", DEVELOPER, "{\"pipeline\": ");
    assertThat(notJson.statusCode()).isEqualTo(400);
    HttpResponse<String> badTrigger = send("POST", "/api/v1/runs", DEVELOPER, "{\"pipeline\":\"jobs: {}\",\"trigger\":\"x\"}");
    assertThat(badTrigger.statusCode()).isEqualTo(400);
    HttpResponse<String> storeFailed = send("POST", "/api/v1/runs", DEVELOPER, "{\"pipeline\":\"jobs: {}\"}");
    assertThat(storeFailed.statusCode()).isEqualTo(503);
    for (HttpResponse<String> answer : List.of(wrongMethod, notJson, badTrigger, storeFailed)) {
      assertThat(answer.body()).as("%s", answer.body()).startsWith("{\"error\":")
          .doesNotContainPattern("(?i)exception|jackson|com\\.fasterxml|org\\.|java\\.|\\bSQL\\b|INSERT INTO|\\$1");
    }
    assertThat(error(notJson.body()).path("message").asText()).contains("line 1, column");
  }

  @Test
  void projectNamesAreLettersDigitsAndAFewMarksUpToAHundred() throws Exception {
    start(false);
    for (String bad : List.of("../../etc", "$(touch x)", "{a=1}", "a".repeat(300), "a//b", "/abs", "dot.", "sp ace")) {
      HttpResponse<String> answer = send("POST", "/api/v1/runs", DEVELOPER,
          ProtocolJson.mapper().writeValueAsString(java.util.Map.of("project", bad, "pipeline", "jobs: {}")));
      assertThat(answer.statusCode()).as(bad).isEqualTo(400);
      assertThat(error(answer.body()).path("message").asText()).as(bad).contains("project name");
    }
  }

  @Test
  void readsNeedAViewerTokenWhenTheGatewayIsSetSo() throws Exception {
    start(true);
    for (String path : List.of("/api/v1/runs", "/api/v1/jobs/1/log", "/api/v1/jobs/1/log/times", "/api/v1/events", "/api/v1/artifacts",
        "/api/v1/overview", "/api/v1/runs/1/events")) {
      HttpResponse<String> anonymous = send("GET", path, null, null);
      assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
      assertThat(error(anonymous.body()).path("code").asText()).isEqualTo("unauthorized");
    }
    HttpResponse<String> viewer = send("GET", "/api/v1/runs", VIEWER, null);
    assertThat(viewer.statusCode()).as(viewer.body()).isEqualTo(200);
    assertThat(send("GET", "/api/v1/runs", "guessed", null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/", null, null).statusCode()).as("the UI's own files, which hold no data").isEqualTo(200);
  }

  @Test
  void onLoopbackReadsNeedNoTokenByDefaultElsewhereTheyDo() throws Exception {
    assertThat(GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).readsNeedTokenInEffect()).isFalse();
    assertThat(GatewayOptions.defaults(data).withAddress("0.0.0.0", 0).readsNeedTokenInEffect()).isTrue();
    assertThat(GatewayOptions.defaults(data).withAddress("100.101.1.1", 0).readsNeedTokenInEffect()).isTrue();
    assertThat(GatewayOptions.defaults(data).withAddress("0.0.0.0", 0).withReadsNeedToken(false)
        .readsNeedTokenInEffect()).isFalse();
  }
}
