package org.buildswarm.protocol.pipeline;

/**
 * Bounds that keep a hostile or mistaken pipeline file from exhausting the orchestrator.
 *
 * @param maxBytes largest pipeline file accepted (default {@value #DEFAULT_MAX_BYTES})
 * @param maxMatrixJobs most jobs one {@code matrix:} may expand into (default {@value #DEFAULT_MAX_MATRIX_JOBS})
 * @param maxJobs most jobs a pipeline may hold after matrix expansion (default {@value #DEFAULT_MAX_JOBS})
 * @param maxAliasNodes most YAML nodes that aliases may expand into (default {@value #DEFAULT_MAX_ALIAS_NODES})
 * @param maxDepth deepest nesting of YAML collections (default {@value #DEFAULT_MAX_DEPTH})
 */
public record PipelineLimits(int maxBytes, int maxMatrixJobs, int maxJobs, int maxAliasNodes, int maxDepth) {
  public static final int DEFAULT_MAX_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_MATRIX_JOBS = 256;
  public static final int DEFAULT_MAX_JOBS = 5000;
  public static final int DEFAULT_MAX_ALIAS_NODES = 10_000;
  public static final int DEFAULT_MAX_DEPTH = 64;

  public static PipelineLimits defaults() {
    return new PipelineLimits(
        DEFAULT_MAX_BYTES, DEFAULT_MAX_MATRIX_JOBS, DEFAULT_MAX_JOBS, DEFAULT_MAX_ALIAS_NODES, DEFAULT_MAX_DEPTH);
  }
}
