package org.buildswarm.protocol.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code matrix:} axes, each with its values, in file order. */
public record Matrix(Map<String, List<String>> axes, SourceLocation location) {
  public Matrix {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    axes.forEach((axis, values) -> copy.put(axis, List.copyOf(values)));
    axes = Collections.unmodifiableMap(copy);
  }

  /** How many jobs the matrix expands into, saturating at {@code Long.MAX_VALUE}. */
  public long size() {
    long size = 1;
    for (List<String> values : axes.values()) {
      size = Math.multiplyExact(size, (long) values.size());
    }
    return size;
  }

  /** Every combination of axis values, first axis varying slowest. */
  public List<Map<String, String>> combinations() {
    List<Map<String, String>> result = new ArrayList<>();
    result.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<String>> axis : axes.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>(result.size() * axis.getValue().size());
      for (Map<String, String> partial : result) {
        for (String value : axis.getValue()) {
          Map<String, String> combination = new LinkedHashMap<>(partial);
          combination.put(axis.getKey(), value);
          next.add(combination);
        }
      }
      result = next;
    }
    List<Map<String, String>> frozen = new ArrayList<>(result.size());
    for (Map<String, String> combination : result) {
      frozen.add(Collections.unmodifiableMap(combination));
    }
    return List.copyOf(frozen);
  }
}
