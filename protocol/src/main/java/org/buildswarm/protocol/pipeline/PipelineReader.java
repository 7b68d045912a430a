package org.buildswarm.protocol.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.buildswarm.protocol.pipeline.impl.PipelineBinder;
import org.buildswarm.protocol.pipeline.impl.YamlNode;
import org.buildswarm.protocol.pipeline.impl.YamlTreeReader;

/**
 * Reads and validates a pipeline file ({@code .buildswarm.yml}). Every problem is reported with
 * the file name, line and column; a file with any problem yields no pipeline at all.
 *
 * <p>Instances are cheap and not thread-safe; make one per read.
 */
public final class PipelineReader {
  /** The file a run's pipeline is read from, at the root of the source. */
  public static final String DEFAULT_FILE = ".buildswarm.yml";

  private final PipelineLimits limits;

  public PipelineReader() {
    this(PipelineLimits.defaults());
  }

  public PipelineReader(PipelineLimits limits) {
    this.limits = limits;
  }

  /**
   * @param file the name shown in problems (a path relative to the source root, usually)
   * @param text the file's content
   */
  public Pipeline read(String file, String text) throws PipelineException {
    return read(file, text, false);
  }

  /**
   * Reads a job set a job emitted: JSON (or YAML) with only {@code jobs:}, each job as in a
   * pipeline but without {@code deploy:}; problems carry the file's line and column like a pipeline's.
   */
  public Pipeline readJobSet(String file, String text) throws PipelineException {
    return read(file, text, true);
  }

  private Pipeline read(String file, String text, boolean jobSet) throws PipelineException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > limits.maxBytes()) {
      SourceLocation at = locationOfByte(text, limits.maxBytes());
      throw new PipelineException(List.of(PipelineProblem.at(file, at,
          "the pipeline file is " + bytes.length + " bytes; the limit is " + limits.maxBytes()
              + " bytes (it crosses the limit here)")));
    }
    SourceLocation control = firstControlCharacter(text);
    if (control != null) {
      int codePoint = text.codePointAt(controlOffset(text));
      throw new PipelineException(List.of(PipelineProblem.at(file, control, String.format(
          "a control character (U+%04X) is not allowed in a pipeline file; write it as an escape in a quoted string",
          codePoint))));
    }
    YamlNode root;
    YamlTreeReader tree = new YamlTreeReader(limits);
    try {
      root = tree.read(text);
    } catch (YamlTreeReader.YamlError e) {
      throw new PipelineException(List.of(PipelineProblem.at(file, e.location(), e.getMessage())));
    }
    PipelineBinder binder = new PipelineBinder(file, limits, jobSet);
    Pipeline pipeline = binder.bind(root);
    if (pipeline == null || !tree.problems().isEmpty()) {
      // Every problem at once, in the order they stand in the file.
      List<PipelineProblem> all = new java.util.ArrayList<>();
      tree.problems().forEach(problem -> all.add(PipelineProblem.at(file, problem.location(), problem.getMessage())));
      all.addAll(binder.problems());
      all.sort(java.util.Comparator.comparingInt(PipelineProblem::line).thenComparingInt(PipelineProblem::column));
      throw new PipelineException(all);
    }
    return pipeline;
  }

  /** Where the first character YAML forbids is (C0 controls but tab, newline and return; DEL), or null. */
  private static SourceLocation firstControlCharacter(String text) {
    int offset = controlOffset(text);
    if (offset < 0) {
      return null;
    }
    int line = 1;
    int column = 1;
    for (int i = 0; i < offset; i = text.offsetByCodePoints(i, 1)) {
      if (text.charAt(i) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return new SourceLocation(line, column);
  }

  private static int controlOffset(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        return i;
      }
    }
    return -1;
  }

  /** The line and column of the character holding UTF-8 byte {@code offset}. */
  private static SourceLocation locationOfByte(String text, int offset) {
    int line = 1;
    int column = 1;
    int bytes = 0;
    for (int i = 0; i < text.length() && bytes < offset; ) {
      int codePoint = text.codePointAt(i);
      bytes += new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes > offset) {
        break;
      }
      if (codePoint == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
      i += Character.charCount(codePoint);
    }
    return new SourceLocation(line, column);
  }
}
