package org.buildswarm.gateway.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import org.buildswarm.protocol.pipeline.PipelineSchema;

/**
 * The pipeline file's JSON Schema, served to anyone (an editor fetches it by URL; it describes the
 * file format and holds no data), like the OpenAPI description.
 */
public final class PipelineSchemaRoutes {
  private final Buffer schema;

  private PipelineSchemaRoutes(Buffer schema) {
    this.schema = schema;
  }

  /** Reads the schema; blocking (a classpath resource). */
  public static PipelineSchemaRoutes load() {
    return new PipelineSchemaRoutes(Buffer.buffer(PipelineSchema.text()));
  }

  /** Before the token check on {@code /api/*}. */
  public void mount(Router router) {
    router.get(PipelineSchema.PATH).handler(ctx -> ctx.response()
        .putHeader("content-type", "application/schema+json; charset=utf-8").end(schema));
  }
}
