package org.buildswarm.protocol.pipeline.impl;

import static org.buildswarm.protocol.pipeline.impl.PipelineBinder.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.pipeline.PipelineProblem;
import org.buildswarm.protocol.pipeline.SourceLocation;
import org.buildswarm.protocol.trigger.Glob;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ListNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ScalarNode;

/**
 * What every section of a pipeline file is bound with: the problems found so far (each with its
 * position, all of them collected rather than stopping at the first) and the readers of the small
 * values sections share (known keys, names, text, flags, patterns).
 */
final class Binding {
  private final String file;
  private final PipelineLimits limits;
  private final List<PipelineProblem> problems = new ArrayList<>();

  Binding(String file, PipelineLimits limits) {
    this.file = file;
    this.limits = limits;
  }

  PipelineLimits limits() {
    return limits;
  }

  /** How many problems were found so far (a section compares before and after to know it failed). */
  int count() {
    return problems.size();
  }

  boolean clean() {
    return problems.isEmpty();
  }

  /** Every problem, in the order of the file. */
  List<PipelineProblem> sorted() {
    List<PipelineProblem> sorted = new ArrayList<>(problems);
    sorted.sort(Comparator.comparingInt(PipelineProblem::line).thenComparingInt(PipelineProblem::column));
    return List.copyOf(sorted);
  }

  void problem(SourceLocation at, String message) {
    problems.add(PipelineProblem.at(file, at, message));
  }

  void checkKeys(MapNode map, Set<String> allowed, String where) {
    for (Entry entry : map.entries().values()) {
      if (!allowed.contains(entry.key())) {
        problem(entry.keyLocation(), "unknown field \"" + NameCharacters.escaped(entry.key()) + "\" in " + where
            + suggestion(entry.key(), allowed) + "; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  /** Reports a name holding control, bidi or zero-width characters; true when it holds none. */
  boolean checkName(SourceLocation at, String what, String name) {
    String problem = NameCharacters.problem(what, name);
    if (problem != null) {
      problem(at, problem);
    }
    return problem == null;
  }

  String optionalText(MapNode map, String key, String what) {
    Entry entry = map.entries().get(key);
    if (entry == null) {
      return null;
    }
    if (entry.value() instanceof ScalarNode scalar && !scalar.isNull()) {
      return scalar.text();
    }
    problem(entry.value().location(), what + " must be text, not " + entry.value().describe());
    return null;
  }

  boolean bindFlag(MapNode map, String key, String where) {
    Entry entry = map.entries().get(key);
    if (entry == null) {
      return false;
    }
    if (entry.value() instanceof ScalarNode scalar && ("true".equals(scalar.text()) || "false".equals(scalar.text()))) {
      return "true".equals(scalar.text());
    }
    problem(entry.value().location(), where + ": \"" + key + "\" must be true or false, not " + entry.value().describe());
    return false;
  }

  List<Glob> globs(MapNode map, String key) {
    Entry entry = map.entries().get(key);
    List<Glob> globs = new ArrayList<>();
    if (entry == null) {
      return globs;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    for (YamlNode item : items) {
      if (item instanceof ScalarNode scalar && !scalar.isNull() && !scalar.text().isEmpty()
          && !scalar.text().equals("!")) {
        globs.add(Glob.of(scalar.text()));
      } else {
        problem(item.location(), "\"" + key + "\" takes a list of patterns, not " + item.describe());
      }
    }
    return globs;
  }
}
