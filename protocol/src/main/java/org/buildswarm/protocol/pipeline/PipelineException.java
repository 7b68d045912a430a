package org.buildswarm.protocol.pipeline;

import java.util.List;

/** A pipeline file that cannot be run, with every problem found in it (sorted by position). */
public final class PipelineException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<PipelineProblem> problems;

  public PipelineException(List<PipelineProblem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  public List<PipelineProblem> problems() {
    return problems;
  }

  private static String render(List<PipelineProblem> problems) {
    StringBuilder text = new StringBuilder();
    for (PipelineProblem problem : problems) {
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(problem);
    }
    return text.toString();
  }
}
