package org.buildswarm.protocol.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The JSON Schema (draft-07, what the YAML language server and VS Code support fully) of the
 * pipeline file, for editors. It describes the shape of every key {@link PipelineReader} accepts;
 * the reader checks more (needs, cycles, expressions, limits). A test keeps the two in step.
 */
public final class PipelineSchema {
  /** On the classpath; the release ships it as {@code schema/pipeline.schema.json}. */
  public static final String RESOURCE = "org/buildswarm/protocol/pipeline/pipeline.schema.json";
  /** Where the gateway serves it, without a token. */
  public static final String PATH = "/api/v1/pipeline.schema.json";

  private PipelineSchema() {
  }

  /** The schema's text; blocking (a classpath resource). */
  public static String text() {
    try (InputStream in = PipelineSchema.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
