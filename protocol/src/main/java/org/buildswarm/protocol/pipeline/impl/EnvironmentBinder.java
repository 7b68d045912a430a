package org.buildswarm.protocol.pipeline.impl;

import static org.buildswarm.protocol.pipeline.impl.PipelineBinder.*;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.buildswarm.protocol.pipeline.Concurrency;
import org.buildswarm.protocol.pipeline.Environment;
import org.buildswarm.protocol.trigger.Glob;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ScalarNode;

/**
 * The pipeline's deploy settings: {@code environments:} (which branches deploy where, in priority
 * order) and {@code concurrency:} (the group its runs queue in).
 */
final class EnvironmentBinder {
  private final Binding binding;

  EnvironmentBinder(Binding binding) {
    this.binding = binding;
  }

  /** {@code environments:} a mapping of names to {@code {branches, protected}}, in priority order. */
  List<Environment> bindEnvironments(Entry entry) {
    if (entry == null) {
      return Environment.DEFAULTS;
    }
    List<Environment> bound = new ArrayList<>();
    if (!(entry.value() instanceof MapNode map) || map.entries().isEmpty()) {
      binding.problem(entry.value().location(), "\"environments\" must be a mapping of environment names to "
          + "{branches, protected}, not " + entry.value().describe());
      return bound;
    }
    for (Entry environment : map.entries().values()) {
      String where = "environment \"" + NameCharacters.escaped(environment.key()) + "\"";
      if (!NAME.matcher(environment.key()).matches()) {
        binding.problem(environment.keyLocation(), "environment name \"" + NameCharacters.escaped(environment.key())
            + "\" must start with a letter or "
            + "digit and hold only letters, digits, '_', '.' and '-'");
        continue;
      }
      if (!(environment.value() instanceof MapNode fields)) {
        binding.problem(environment.value().location(), where + " must be a mapping with \"branches:\", not "
            + environment.value().describe());
        continue;
      }
      binding.checkKeys(fields, ENVIRONMENT_KEYS, where);
      List<Glob> branches = binding.globs(fields, "branches");
      if (branches.isEmpty() && fields.entries().get("branches") == null) {
        binding.problem(environment.keyLocation(), where + " needs \"branches:\", the branches that deploy to it");
      }
      boolean isProtected = binding.bindFlag(fields, "protected", where);
      bound.add(new Environment(environment.key(), branches, isProtected));
    }
    return bound;
  }

  /** {@code concurrency:} a group name, or {@code {group, cancel-in-progress}}. */
  Concurrency bindConcurrency(Entry entry) {
    if (entry == null) {
      return null;
    }
    if (entry.value() instanceof ScalarNode scalar && !scalar.isNull() && !scalar.text().isBlank()) {
      binding.checkName(scalar.location(), "the concurrency group", scalar.text());
      checkGroupExpressions(scalar);
      return new Concurrency(scalar.text(), false);
    }
    if (!(entry.value() instanceof MapNode map)) {
      binding.problem(entry.value().location(), "\"concurrency\" must be a group name or {group, cancel-in-progress}, not "
          + entry.value().describe());
      return null;
    }
    binding.checkKeys(map, CONCURRENCY_KEYS, "\"concurrency\"");
    String group = binding.optionalText(map, "group", "the concurrency group");
    if (group == null || group.isBlank()) {
      if (map.entries().get("group") == null) {
        binding.problem(entry.keyLocation(), "\"concurrency\" needs a \"group:\" name");
      }
      return null;
    }
    binding.checkName(map.entries().get("group").value().location(), "the concurrency group", group);
    checkGroupExpressions((ScalarNode) map.entries().get("group").value());
    return new Concurrency(group, binding.bindFlag(map, "cancel-in-progress", "\"concurrency\""));
  }

  private void checkGroupExpressions(ScalarNode group) {
    Matcher expression = EXPRESSION.matcher(group.text());
    while (expression.find()) {
      if (!expression.group(1).equals("branch")) {
        binding.problem(group.location(), "the concurrency group may use only ${{ branch }}, not " + expression.group());
      }
    }
  }
}
