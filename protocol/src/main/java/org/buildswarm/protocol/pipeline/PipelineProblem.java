package org.buildswarm.protocol.pipeline;

/** One thing wrong with a pipeline file, where it is, in the {@code file:line:column: message} form editors understand. */
public record PipelineProblem(String file, int line, int column, String message) {
  public static PipelineProblem at(String file, SourceLocation location, String message) {
    return new PipelineProblem(file, location.line(), location.column(), message);
  }

  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
