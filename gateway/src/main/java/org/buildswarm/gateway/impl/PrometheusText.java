package org.buildswarm.gateway.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges Prometheus text expositions of several processes into one: a metric family that appears
 * in more than one (the JVM's, say, told apart by a {@code role} label) is written once, with all
 * their samples, because a scrape that declares a family twice is rejected.
 */
public final class PrometheusText {
  private PrometheusText() {}

  private static final class Family {
    final List<String> header = new ArrayList<>();
    final List<String> samples = new ArrayList<>();
  }

  public static String merge(List<String> expositions) {
    Map<String, Family> families = new LinkedHashMap<>();
    for (String exposition : expositions) {
      Family current = null;
      String currentName = null;
      boolean takeHeader = false;
      for (String line : exposition.split("\n")) {
        if (line.isBlank() || line.startsWith("# EOF")) {
          continue;
        }
        if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
          String name = line.substring(7).split(" ", 2)[0];
          if (!name.equals(currentName)) {
            currentName = name;
            takeHeader = !families.containsKey(name);
            current = families.computeIfAbsent(name, n -> new Family());
          }
          if (takeHeader) {
            current.header.add(line);
          }
        } else if (!line.startsWith("#")) {
          if (current == null) {
            current = families.computeIfAbsent("", n -> new Family());
          }
          current.samples.add(line);
        }
      }
    }
    StringBuilder text = new StringBuilder();
    for (Family family : families.values()) {
      family.header.forEach(line -> text.append(line).append('\n'));
      family.samples.forEach(line -> text.append(line).append('\n'));
    }
    return text.toString();
  }
}
