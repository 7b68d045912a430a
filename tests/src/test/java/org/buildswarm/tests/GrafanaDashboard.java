package org.buildswarm.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The PromQL of a Grafana dashboard JSON: panel targets and template variables. */
final class GrafanaDashboard {
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([^,]+),\\s*(\\w+)\\s*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  private GrafanaDashboard() {
  }

  static List<String> queries(Path file) throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(file.toFile());
    List<String> queries = new ArrayList<>();
    collect(dashboard.path("panels"), queries);
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      JsonNode query = variable.path("query");
      queries.add(query.isObject() ? query.path("query").asText() : query.asText());
    }
    return queries;
  }

  private static void collect(JsonNode panels, List<String> queries) {
    for (JsonNode panel : panels) {
      panel.path("targets").forEach(target -> queries.add(target.path("expr").asText()));
      collect(panel.path("panels"), queries);
    }
  }

  /** The query as Prometheus itself takes it: Grafana's variables and its label_values() replaced. */
  static String concrete(String query) {
    Matcher labelValues = LABEL_VALUES.matcher(query);
    String plain = labelValues.matches() ? "group by (" + labelValues.group(2) + ") (" + labelValues.group(1) + ")" : query;
    return plain.replace("$__rate_interval", "1m").replace("$__interval", "1m").replaceAll("\\$\\w+", ".*");
  }

  /** The metric names a query reads: identifiers outside label matchers, strings and groupings, not called. */
  static Set<String> metricsIn(String promql) {
    String bare = promql.replaceAll("\"[^\"]*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> metrics = new LinkedHashSet<>();
    Matcher identifier = IDENTIFIER.matcher(bare);
    while (identifier.find()) {
      String name = identifier.group();
      int after = identifier.end();
      while (after < bare.length() && bare.charAt(after) == ' ') {
        after++;
      }
      boolean called = after < bare.length() && bare.charAt(after) == '(';
      if (!called && name.contains("_") && !Character.isDigit(name.charAt(0))) {
        metrics.add(name);
      }
    }
    return metrics;
  }
}
