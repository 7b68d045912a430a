package org.buildswarm.gateway;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.buildswarm.gateway.impl.LogStore;
import org.buildswarm.gateway.impl.OpenApiRoutes;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.pipeline.PipelineSchema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAPI description is valid OpenAPI 3 and says exactly what the gateway's router serves. */
@ExtendWith(VertxExtension.class)
class OpenApiTest {
  @TempDir
  Path data;

  private Vertx vertx;
  private GatewayVerticle gateway;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
    // Reads need a token here: the description must be readable without one all the same.
    GatewayOptions options = GatewayOptions.defaults(data).withAddress("127.0.0.1", 0).withReadsNeedToken(true);
    gateway = new GatewayVerticle(options, new LogStore(data.resolve("logs")));
    await(vertx.deployVerticle(gateway));
  }

  private static String text() throws Exception {
    try (var in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(OpenApiRoutes.RESOURCE)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void theDescriptionIsValidOpenApi3() throws Exception {
    ParseOptions strict = new ParseOptions();
    strict.setResolve(true);
    SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(text(), null, strict);
    assertThat(parsed.getMessages()).as("problems the OpenAPI parser found").isEmpty();
    assertThat(parsed.getOpenAPI().getPaths()).isNotEmpty();
  }

  @Test
  void everyRouteIsDescribedAndEveryDescribedOperationIsARoute() throws Exception {
    Set<String> routed = new TreeSet<>();
    for (Route route : gateway.router().getRoutes()) {
      String path = route.getPath();
      // Handlers for every method or for a whole subtree (body limits, token checks, the UI's files) are not operations.
      if (path == null || !route.isExactPath() || route.methods() == null || route.methods().isEmpty()) {
        continue;
      }
      for (HttpMethod method : route.methods()) {
        routed.add(method.name() + " " + path.replaceAll(":(\\w+)", "{$1}"));
      }
    }
    Set<String> described = new TreeSet<>();
    JsonNode paths = new ObjectMapper(new YAMLFactory()).readTree(text()).path("paths");
    paths.fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
      if (Set.of("get", "put", "post", "delete", "head", "patch", "options").contains(method)) {
        described.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
      }
    }));
    assertThat(routed).as("the router's operations").hasSizeGreaterThan(30);
    assertThat(described).as("what the description says").containsExactlyInAnyOrderElementsOf(routed);
  }

  @Test
  void theGatewayServesItAsYamlAndJsonWithoutAToken() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI base = URI.create("http://127.0.0.1:" + gateway.port());
    HttpResponse<String> yaml = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/openapi.yaml")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(yaml.statusCode()).isEqualTo(200);
    assertThat(yaml.body()).isEqualTo(text());
    HttpResponse<String> json = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/openapi.json")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(json.body()))
        .isEqualTo(new ObjectMapper(new YAMLFactory()).readTree(text()));
    HttpResponse<String> runs = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/runs")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(runs.statusCode()).as("while reads need a token").isEqualTo(401);
  }

  @Test
  void theGatewayServesThePipelineSchemaWithoutAToken() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI base = URI.create("http://127.0.0.1:" + gateway.port());
    HttpResponse<String> schema = http.send(HttpRequest.newBuilder(base.resolve(PipelineSchema.PATH)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(schema.statusCode()).as("while reads need a token").isEqualTo(200);
    assertThat(schema.headers().firstValue("content-type")).hasValue("application/schema+json; charset=utf-8");
    assertThat(schema.body()).isEqualTo(PipelineSchema.text());
    JsonNode document = new ObjectMapper().readTree(schema.body());
    assertThat(document.path("$schema").asText()).isEqualTo("http://json-schema.org/draft-07/schema#");
    assertThat(document.at("/properties/jobs/additionalProperties/$ref").asText()).isEqualTo("#/definitions/job");
  }
}
