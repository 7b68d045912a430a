package org.buildswarm.gateway;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.JobTokenInfo;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.TokenInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The artifact repository over HTTP, against a stand-in orchestrator that knows one API token and one job token. */
@ExtendWith(VertxExtension.class)
class ArtifactApiTest {
  private static final String DEVELOPER = "dev-token";
  private static final String JOB_TOKEN = "17.1.99.feedface";
  private static final int LIMIT = 6 * 1024 * 1024;

  @TempDir
  Path data;

  private Vertx vertx;
  private GatewayVerticle gateway;
  private URI base;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
    StandInTokens.answer(vertx.eventBus(), java.util.Map.of(DEVELOPER, new TokenInfo("dev", Role.DEVELOPER)),
        java.util.Map.of(JOB_TOKEN, new JobTokenInfo("shop", 5, 17, 1, "package", List.of("app.tar.gz"))));
    // API bodies are limited to 1 KiB: artifacts far larger must stream past that limit, never buffered.
    GatewayOptions options = GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).withLimits(1024, LIMIT)
        .withTimeouts(2_000, 30_000);
    gateway = new GatewayVerticle(options, new LogStore(data.resolve("logs")));
    await(vertx.deployVerticle(gateway));
    base = URI.create("http://127.0.0.1:" + gateway.port() + "/");
  }

  private HttpResponse<String> put(String path, String token, byte[] body, String sha256) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    if (sha256 != null) {
      request.header("x-checksum-sha256", sha256);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonNode json(HttpResponse<?> response) throws Exception {
    Object body = response.body();
    return ProtocolJson.mapper().readTree(body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
        : (String) body);
  }

  private static String sha(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  @Test
  void aLargeUploadStreamsInIsVerifiedAndDownloadsWithRangeAndEtag() throws Exception {
    byte[] content = randomBytes(5 * 1024 * 1024);
    HttpResponse<String> created = put("api/v1/artifacts/shop/app/versions/1.0?channel=latest", DEVELOPER, content,
        sha(content));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(json(created).path("size").asLong()).isEqualTo(content.length);
    assertThat(put("api/v1/artifacts/shop/app/versions/1.0", DEVELOPER, content, sha(content)).statusCode())
        .as("retried with the same bytes").isEqualTo(200);

    HttpResponse<byte[]> whole = get("api/v1/artifacts/shop/app/versions/1.0/content");
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.body()).isEqualTo(content);
    String etag = whole.headers().firstValue("etag").orElseThrow();
    assertThat(etag).isEqualTo("\"" + sha(content) + "\"");
    assertThat(get("api/v1/artifacts/shop/app/versions/1.0/content", "if-none-match", etag).statusCode()).isEqualTo(304);

    HttpResponse<byte[]> part = get("api/v1/artifacts/shop/app/versions/1.0/content", "range", "bytes=100-199");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.headers().firstValue("content-range")).hasValue("bytes 100-199/" + content.length);
    assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(content, 100, 200));
    HttpResponse<byte[]> tail = get("api/v1/artifacts/shop/app/channels/latest/content", "range", "bytes=-10");
    assertThat(tail.body()).isEqualTo(java.util.Arrays.copyOfRange(content, content.length - 10, content.length));
    assertThat(get("api/v1/artifacts/shop/app/versions/1.0/content", "range", "bytes=" + content.length + "-")
        .statusCode()).isEqualTo(416);
    assertThat(get("api/v1/artifacts/shop/app/versions/1.0/content", "range", "bytes=0-9", "if-range", "\"stale\"")
        .statusCode()).as("If-Range with another ETag gets the whole file").isEqualTo(200);
  }

  @Test
  void aBadChecksumOrAnOversizedBodyStoresNothing() throws Exception {
    byte[] content = "the real bytes".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> mismatch = put("api/v1/artifacts/shop/app/versions/2", DEVELOPER, content, sha("other".getBytes()));
    assertThat(mismatch.statusCode()).isEqualTo(422);
    assertThat(json(mismatch).path("error").path("code").asText()).isEqualTo("checksum_mismatch");
    assertThat(put("api/v1/artifacts/shop/app/versions/2", DEVELOPER, content, null).statusCode()).isEqualTo(400);

    byte[] huge = randomBytes(LIMIT + 1);
    HttpResponse<String> declared = put("api/v1/artifacts/shop/app/versions/3", DEVELOPER, huge, sha(huge));
    assertThat(declared.statusCode()).isEqualTo(413);
    // Chunked, so the size is learned only while streaming.
    HttpResponse<String> streamed = http.send(HttpRequest.newBuilder(base.resolve("api/v1/artifacts/shop/app/versions/4"))
        .header("authorization", "Bearer " + DEVELOPER).header("x-checksum-sha256", sha(huge))
        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(streamed.statusCode()).isEqualTo(413);
    assertThat(get("api/v1/artifacts/shop/app").statusCode()).isEqualTo(404);
    try (var uploads = Files.list(data.resolve("artifacts/uploads"))) {
      assertThat(uploads).isEmpty();
    }
  }

  @Test
  void jobsUploadOnlyTheirDeclaredArtifactsWithACurrentJobTokenAndMoveLatest() throws Exception {
    byte[] content = "built by job 17".getBytes(StandardCharsets.UTF_8);
    assertThat(put("api/v1/jobs/17/artifacts/app.tar.gz", "17.1.98.stale", content, sha(content)).statusCode())
        .isEqualTo(401);
    assertThat(put("api/v1/jobs/17/artifacts/other", JOB_TOKEN, content, sha(content)).statusCode()).isEqualTo(403);
    assertThat(put("api/v1/jobs/18/artifacts/app.tar.gz", JOB_TOKEN, content, sha(content)).statusCode()).isEqualTo(403);
    assertThat(put("api/v1/jobs/17/artifacts/app.tar.gz", DEVELOPER, content, sha(content)).statusCode())
        .as("a person's token is not a job token").isEqualTo(401);

    HttpResponse<String> published = put("api/v1/jobs/17/artifacts/app.tar.gz", JOB_TOKEN, content, sha(content));
    assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
    assertThat(json(published).path("version").asText()).isEqualTo("5.1");
    assertThat(json(published).path("runId").asLong()).isEqualTo(5);
    HttpResponse<byte[]> latest = get("api/v1/artifacts/shop/app.tar.gz/channels/latest/content");
    assertThat(latest.body()).isEqualTo(content);
    assertThat(latest.headers().firstValue("x-artifact-version")).hasValue("5.1");

    JsonNode project = json(get("api/v1/artifacts/shop"));
    assertThat(project.path("artifacts").get(0).path("channels").path("latest").path("version").asText()).isEqualTo("5.1");
  }

  @Test
  void channelMovesNeedADeveloperAndRollBack() throws Exception {
    for (String version : List.of("1", "2")) {
      byte[] content = version.getBytes(StandardCharsets.UTF_8);
      assertThat(put("api/v1/artifacts/shop/app/versions/" + version + "?channel=production", DEVELOPER, content,
          sha(content)).statusCode()).isEqualTo(201);
    }
    HttpRequest.Builder move = HttpRequest.newBuilder(base.resolve("api/v1/artifacts/shop/app/channels/production"))
        .header("content-type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"version\":\"1\"}"));
    assertThat(http.send(move.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    HttpResponse<String> rolledBack = http.send(move.header("authorization", "Bearer " + DEVELOPER).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(json(rolledBack).path("previous").asText()).isEqualTo("2");
    assertThat(new String(get("api/v1/artifacts/shop/app/channels/production/content").body())).isEqualTo("1");
    assertThat(json(get("api/v1/artifacts/shop/app/channels/production")).path("history")).hasSize(3);
  }

  @Test
  void pathsThatTryToLeaveTheRepositoryAreRefused() throws Exception {
    byte[] content = "x".getBytes(StandardCharsets.UTF_8);
    for (String path : List.of("api/v1/artifacts/shop/%2e%2e/versions/1", "api/v1/artifacts/shop/app/versions/..%2F..%2Fx",
        "api/v1/artifacts/shop/a%00b/versions/1", "api/v1/artifacts/%2Fetc/app/versions/1")) {
      HttpResponse<String> response = put(path, DEVELOPER, content, sha(content));
      // 405: normalized, the path names something that can only be read.
      assertThat(response.statusCode()).as(path).isIn(400, 404, 405);
    }
    for (String path : List.of("api/v1/artifacts/shop/%2e%2e/versions/1/content", "api/v1/artifacts/..%2F..%2F/x",
        "api/v1/artifacts/shop/app/versions/%2e%2e%2f%2e%2e%2fetc%2fpasswd/content")) {
      assertThat(get(path).statusCode()).as(path).isIn(400, 404);
    }
    try (var stored = Files.walk(data)) {
      assertThat(stored.filter(Files::isRegularFile).filter(p -> p.toString().contains("versions"))).isEmpty();
    }
  }

  @Test
  void aRefusedUploadDoesNotLeaveTheConnectionConfused() throws Exception {
    // A raw client that sends a body nobody reads: the gateway answers and closes, never mixing requests.
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /api/v1/artifacts/shop/app/versions/9 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
          + "X-Checksum-SHA256: " + "0".repeat(64) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(head).isEqualTo("HTTP/1.1 401");
    }
  }
}
