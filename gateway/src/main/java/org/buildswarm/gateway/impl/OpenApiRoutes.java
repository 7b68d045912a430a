package org.buildswarm.gateway.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The API's OpenAPI 3 description ({@code openapi/buildswarm.yaml} on the classpath), served as
 * YAML and as JSON to anyone: it describes the API, it holds no data.
 */
public final class OpenApiRoutes {
  public static final String RESOURCE = "openapi/buildswarm.yaml";
  private final Buffer yaml;
  private final Buffer json;

  private OpenApiRoutes(Buffer yaml, Buffer json) {
    this.yaml = yaml;
    this.json = json;
  }

  /** Reads and converts the description; blocking (a classpath resource). */
  public static OpenApiRoutes load() {
    try (InputStream in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      byte[] text = in.readAllBytes();
      Object document = new ObjectMapper(new YAMLFactory()).readValue(text, Object.class);
      return new OpenApiRoutes(Buffer.buffer(text), Buffer.buffer(new ObjectMapper().writeValueAsBytes(document)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /** Before the token check on {@code /api/*}. */
  public void mount(Router router) {
    router.get("/api/v1/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml")
        .end(yaml));
    router.get("/api/v1/openapi.json").handler(ctx -> ctx.response()
        .putHeader("content-type", "application/json; charset=utf-8").end(json));
  }
}
