package org.buildswarm.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
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

/**
 * The remote build cache over HTTP (Turborepo's, Gradle's and Maven's protocols), against a stand-in
 * orchestrator that knows a viewer, a developer and one running job. Reads need a token here (the
 * gateway listens as if for the network).
 */
@ExtendWith(VertxExtension.class)
class BuildCacheApiTest {
  private static final String VIEWER = "viewer-token";
  private static final String DEVELOPER = "dev-token";
  private static final String JOB_TOKEN = "17.1.99.feedface";
  /** A running job of another project. */
  private static final String OTHER_JOB_TOKEN = "18.1.99.beefcafe";
  private static final int ENTRY_LIMIT = 64 * 1024;

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
    StandInTokens.answer(vertx.eventBus(), Map.of(DEVELOPER, new TokenInfo("dev", Role.DEVELOPER),
        VIEWER, new TokenInfo("watcher", Role.VIEWER)),
        Map.of(JOB_TOKEN, new JobTokenInfo("shop", 5, 17, 1, "package", List.of()),
            OTHER_JOB_TOKEN, new JobTokenInfo("team/blog", 6, 18, 1, "package", List.of())));
    GatewayOptions options = GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).withReadsNeedToken(true)
        .withTimeouts(2_000, 30_000)
        .withBuildCacheLimits(new GatewayOptions.BuildCacheLimits(ENTRY_LIMIT, 1L << 30, 14L * 24 * 3600 * 1000));
    gateway = new GatewayVerticle(options, new LogStore(data.resolve("logs")));
    await(vertx.deployVerticle(gateway));
    base = URI.create("http://127.0.0.1:" + gateway.port() + "/");
  }

  private HttpResponse<byte[]> send(String method, String path, String authorization, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)) // as written: resolve() would fold "//"
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      request.header("authorization", authorization);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static String bearer(String token) {
    return "Bearer " + token;
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private String metrics() throws Exception {
    return text(send("GET", "metrics", null, null));
  }

  @Test
  void jobResultsAreKeptPerProjectForRunningJobsOnlyWithTheRunThatMadeThem() throws Exception {
    byte[] result = "a tar.gz of out/".getBytes(StandardCharsets.UTF_8);
    String key = "ab".repeat(32);
    for (String who : new String[] {DEVELOPER, VIEWER, "unknown"}) {
      assertThat(send("PUT", "api/v1/job-cache/" + key, bearer(who), result).statusCode()).as(who).isEqualTo(401);
    }
    assertThat(send("PUT", "api/v1/job-cache/" + key, null, result).statusCode()).isEqualTo(401);
    HttpResponse<byte[]> stored = send("PUT", "api/v1/job-cache/" + key, bearer(JOB_TOKEN), result,
        "x-artifact-duration", "61000", "x-buildswarm-run", "999");
    assertThat(stored.statusCode()).as(text(stored)).isEqualTo(201);

    HttpResponse<byte[]> hit = send("GET", "api/v1/job-cache/" + key, bearer(JOB_TOKEN), null);
    assertThat(hit.statusCode()).isEqualTo(200);
    assertThat(hit.body()).isEqualTo(result);
    assertThat(hit.headers().firstValue("etag")).hasValue("\"" + sha256(result) + "\"");
    assertThat(hit.headers().firstValue("x-buildswarm-run")).as("from the token, not the request").hasValue("5");
    assertThat(hit.headers().firstValue("x-buildswarm-job")).hasValue("package");
    assertThat(send("HEAD", "api/v1/job-cache/" + key, bearer(JOB_TOKEN), null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "api/v1/job-cache/" + key, bearer(OTHER_JOB_TOKEN), null).statusCode())
        .as("another project's job sees none of it").isEqualTo(404);
    assertThat(send("GET", "api/v1/job-cache/" + key, bearer(VIEWER), null).statusCode()).isEqualTo(401);
    assertThat(send("PUT", "api/v1/job-cache/" + key, bearer(OTHER_JOB_TOKEN), "other".getBytes()).statusCode())
        .isEqualTo(201);
    assertThat(send("GET", "api/v1/job-cache/" + key, bearer(JOB_TOKEN), null).body()).isEqualTo(result);
    assertThat(send("GET", "api/v1/job-cache/..%2Fx", bearer(JOB_TOKEN), null).statusCode()).isEqualTo(400);

    JsonNode summary = ProtocolJson.mapper().readTree(send("GET", "api/v1/build-cache", bearer(VIEWER), null).body());
    assertThat(summary.path("tools").path("jobs").path("hits").asLong()).isEqualTo(3);
    assertThat(summary.path("tools").path("jobs").path("misses").asLong()).isEqualTo(1);
    assertThat(summary.path("savedSeconds").asDouble()).as("two downloads of a 61 s job (a HEAD only asks)").isEqualTo(122.0);
    assertThat(metrics()).contains("buildswarm_build_cache_saved_seconds_total{tool=\"jobs\"} 122.0");
  }

  @Test
  void turborepoStoresAndReadsArtifactsPerTeamWithTheirDurationAndTag() throws Exception {
    byte[] outputs = "a tar.zst of dist/".getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> stored = send("PUT", "v8/artifacts/0a1b2c3d4e5f6789?slug=web", bearer(DEVELOPER), outputs,
        "content-type", "application/octet-stream", "x-artifact-duration", "4200", "x-artifact-tag", "sig-of-bytes");
    assertThat(stored.statusCode()).as(text(stored)).isEqualTo(202);
    assertThat(ProtocolJson.mapper().readTree(stored.body()).path("urls").get(0).asText())
        .isEqualTo("/v8/artifacts/0a1b2c3d4e5f6789");

    HttpResponse<byte[]> hit = send("GET", "v8/artifacts/0a1b2c3d4e5f6789?slug=web", bearer(VIEWER), null);
    assertThat(hit.statusCode()).isEqualTo(200);
    assertThat(hit.body()).isEqualTo(outputs);
    assertThat(hit.headers().firstValue("x-artifact-duration")).hasValue("4200");
    assertThat(hit.headers().firstValue("x-artifact-tag")).hasValue("sig-of-bytes");
    HttpResponse<byte[]> head = send("HEAD", "v8/artifacts/0a1b2c3d4e5f6789?slug=web", bearer(VIEWER), null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(outputs.length));

    assertThat(send("GET", "v8/artifacts/0a1b2c3d4e5f6789?slug=other", bearer(VIEWER), null).statusCode())
        .as("another team's cache").isEqualTo(404);
    assertThat(send("GET", "v8/artifacts/ffffffffffffffff?slug=web", bearer(VIEWER), null).statusCode()).isEqualTo(404);
    HttpResponse<byte[]> query = send("POST", "v8/artifacts?slug=web", bearer(VIEWER),
        "{\"hashes\": [\"0a1b2c3d4e5f6789\", \"ffffffffffffffff\"]}".getBytes(StandardCharsets.UTF_8),
        "content-type", "application/json");
    assertThat(query.statusCode()).as(text(query)).isEqualTo(200);
    var answer = ProtocolJson.mapper().readTree(query.body());
    assertThat(answer.path("0a1b2c3d4e5f6789").path("size").asLong()).isEqualTo(outputs.length);
    assertThat(answer.path("0a1b2c3d4e5f6789").path("taskDurationMs").asLong()).isEqualTo(4200);
    assertThat(answer.path("ffffffffffffffff").path("error").isObject()).isTrue();
    assertThat(send("GET", "v8/artifacts/status", bearer(VIEWER), null).statusCode()).isEqualTo(200);

    HttpResponse<byte[]> summary = send("GET", "api/v1/build-cache", bearer(VIEWER), null);
    assertThat(summary.statusCode()).isEqualTo(200);
    var held = ProtocolJson.mapper().readTree(summary.body());
    assertThat(held.path("entries").asInt()).isEqualTo(1);
    assertThat(held.path("bytes").asLong()).isEqualTo(outputs.length);
    assertThat(held.path("hitRate").asDouble()).as("2 hits, 2 misses").isEqualTo(0.5);
    assertThat(held.path("bytesServed").asLong()).isEqualTo(outputs.length);
    assertThat(held.path("tools").path("turbo").path("stored").asLong()).isEqualTo(1);
    assertThat(send("GET", "api/v1/build-cache", null, null).statusCode()).as("reads need a token here").isEqualTo(401);

    assertThat(metrics()).contains("buildswarm_build_cache_requests_total{result=\"hit\",tool=\"turbo\"} 2.0",
        "buildswarm_build_cache_requests_total{result=\"miss\",tool=\"turbo\"} 2.0",
        "buildswarm_build_cache_requests_total{result=\"stored\",tool=\"turbo\"} 1.0",
        "buildswarm_build_cache_bytes_total{direction=\"served\",tool=\"turbo\"} " + outputs.length + ".0");
  }

  @Test
  void gradleStoresAndReadsWithTheTokenAsABasicPassword() throws Exception {
    byte[] entry = "gradle task outputs".getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> unauthenticated = send("GET", "cache/8c3e0d2f9a7b4c1e5d6f7a8b9c0d1e2f", null, null);
    assertThat(unauthenticated.statusCode()).isEqualTo(401);
    assertThat(unauthenticated.headers().allValues("www-authenticate")).as("Gradle answers a Basic challenge")
        .anyMatch(challenge -> challenge.startsWith("Basic "));
    HttpResponse<byte[]> stored = send("PUT", "cache/8c3e0d2f9a7b4c1e5d6f7a8b9c0d1e2f", basic("ci", DEVELOPER), entry,
        "content-type", "application/vnd.gradle.build-cache-artifact.v1");
    assertThat(stored.statusCode()).as(text(stored)).isEqualTo(201);
    HttpResponse<byte[]> hit = send("GET", "cache/8c3e0d2f9a7b4c1e5d6f7a8b9c0d1e2f", basic("anyone", VIEWER), null);
    assertThat(hit.statusCode()).isEqualTo(200);
    assertThat(hit.body()).isEqualTo(entry);
    assertThat(send("GET", "cache/00000000000000000000000000000000", basic("anyone", VIEWER), null).statusCode())
        .isEqualTo(404);
  }

  @Test
  void mavenStoresAndReadsNestedPathsAndRefusesPathsThatAreNotPlainNames() throws Exception {
    byte[] buildInfo = "<build/>".getBytes(StandardCharsets.UTF_8);
    byte[] jar = "jar bytes".getBytes(StandardCharsets.UTF_8);
    String base = "maven-cache/v1.1/org.example/shop/3f2a9c/";
    HttpResponse<byte[]> unauthenticated = send("PUT", base + "buildinfo.xml", null, buildInfo);
    assertThat(unauthenticated.statusCode()).isEqualTo(401);
    assertThat(unauthenticated.headers().allValues("www-authenticate"))
        .as("Maven's wagon sends its server's password only after a Basic challenge")
        .anyMatch(challenge -> challenge.startsWith("Basic "));
    assertThat(send("PUT", base + "buildinfo.xml", basic("buildswarm", VIEWER), buildInfo).statusCode())
        .as("a viewer reads, never writes").isEqualTo(403);
    assertThat(send("GET", base + "buildinfo.xml", basic("buildswarm", VIEWER), null).statusCode())
        .as("before it is stored").isEqualTo(404);

    HttpResponse<byte[]> stored = send("PUT", base + "buildinfo.xml", basic("buildswarm", DEVELOPER), buildInfo);
    assertThat(stored.statusCode()).as(text(stored)).isEqualTo(201);
    assertThat(send("PUT", base + "shop-1.0.jar", basic("buildswarm", DEVELOPER), jar).statusCode()).isEqualTo(201);

    assertThat(send("GET", base + "buildinfo.xml", basic("buildswarm", VIEWER), null).body()).isEqualTo(buildInfo);
    assertThat(send("GET", base + "shop-1.0.jar", basic("buildswarm", VIEWER), null).body())
        .as("each path is its own entry").isEqualTo(jar);
    HttpResponse<byte[]> head = send("HEAD", base + "shop-1.0.jar", basic("buildswarm", VIEWER), null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(jar.length));
    assertThat(send("GET", "maven-cache/v1.1/org.example/shop/ffffff/buildinfo.xml", basic("buildswarm", VIEWER), null)
        .statusCode()).as("another checksum's entry").isEqualTo(404);
    assertThat(send("GET", "cache/" + sha256("v1.1/org.example/shop/3f2a9c/buildinfo.xml".getBytes(StandardCharsets.UTF_8)),
        basic("buildswarm", VIEWER), null).statusCode()).as("Gradle's cache is another tool's").isEqualTo(404);

    for (String bad : List.of("maven-cache/v1.1/a$b/buildinfo.xml", "maven-cache/v1.1//buildinfo.xml",
        "maven-cache/", "maven-cache/a/b/c/d/e/f/g/h/i")) {
      HttpResponse<byte[]> refused = send("PUT", bad, basic("buildswarm", DEVELOPER), buildInfo);
      assertThat(refused.statusCode()).as(bad).isEqualTo(400);
      assertThat(text(refused)).as(bad).contains("a Maven cache path");
    }
    assertThat(metrics()).contains("buildswarm_build_cache_requests_total{result=\"stored\",tool=\"maven\"} 2.0")
        .contains("buildswarm_build_cache_requests_total{result=\"hit\",tool=\"maven\"} 3.0");
  }

  @Test
  void onlyDevelopersAndRunningJobsWriteAndNothingTooLargeOrMisnamedIsKept() throws Exception {
    byte[] entry = "outputs".getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> byViewer = send("PUT", "v8/artifacts/abcdef0123456789", bearer(VIEWER), entry);
    assertThat(byViewer.statusCode()).as("a viewer reads, never writes").isEqualTo(403);
    assertThat(send("PUT", "v8/artifacts/abcdef0123456789", bearer("made-up"), entry).statusCode()).isEqualTo(401);
    assertThat(send("GET", "v8/artifacts/abcdef0123456789", null, null).statusCode()).isEqualTo(401);
    assertThat(send("PUT", "cache/abcdef0123456789", basic("job", "17.1.99.forged"), entry).statusCode()).isEqualTo(401);

    HttpResponse<byte[]> byJob = send("PUT", "cache/abcdef0123456789", basic("job", JOB_TOKEN), entry);
    assertThat(byJob.statusCode()).as("a running job's build writes the cache: " + text(byJob)).isEqualTo(201);
    String record;
    try (Stream<Path> files = Files.walk(data.resolve("artifacts/cache/gradle"))) {
      record = Files.readString(files.filter(file -> file.toString().endsWith(".json")).findFirst().orElseThrow());
    }
    assertThat(record).contains("\"storedBy\":\"job 17 (package)\"");

    HttpResponse<byte[]> tooLarge = send("PUT", "cache/0123456789abcdef", bearer(DEVELOPER), new byte[ENTRY_LIMIT + 1]);
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(send("GET", "cache/0123456789abcdef", bearer(VIEWER), null).statusCode()).isEqualTo(404);
    assertThat(send("PUT", "cache/..%2F..%2Fmeta", bearer(DEVELOPER), entry).statusCode()).isIn(400, 404);
    assertThat(send("PUT", "v8/artifacts/abc?slug=..", bearer(DEVELOPER), entry).statusCode()).isEqualTo(400);
    try (Stream<Path> uploads = Files.list(data.resolve("artifacts/uploads"))) {
      assertThat(uploads).as("no refused upload is left behind").isEmpty();
    }
  }

  @Test
  void anEntryWhoseBytesAreGoneIsAMissAndCanBeStoredAgain() throws Exception {
    byte[] entry = "outputs to lose".getBytes(StandardCharsets.UTF_8);
    assertThat(send("PUT", "cache/deadbeefdeadbeef", bearer(DEVELOPER), entry).statusCode()).isEqualTo(201);
    try (Stream<Path> blobs = Files.walk(data.resolve("artifacts/blobs"))) {
      for (Path blob : blobs.filter(Files::isRegularFile).toList()) {
        Files.delete(blob);
      }
    }
    assertThat(send("GET", "cache/deadbeefdeadbeef", bearer(VIEWER), null).statusCode()).isEqualTo(404);
    assertThat(send("PUT", "cache/deadbeefdeadbeef", bearer(DEVELOPER), entry).statusCode()).isEqualTo(201);
    assertThat(send("GET", "cache/deadbeefdeadbeef", bearer(VIEWER), null).body()).isEqualTo(entry);
  }
}
