package org.buildswarm.protocol.pipeline;

/** A 1-based line and column in a pipeline file. */
public record SourceLocation(int line, int column) {
  public static final SourceLocation START = new SourceLocation(1, 1);

  @Override
  public String toString() {
    return line + ":" + column;
  }
}
