package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scrape config and alert rules in deploy/prometheus are valid for Prometheus's own checker.
 * (ClusterSystemTest checks that a real scrape has every metric the rules use.)
 */
class PrometheusFilesTest {
  private static final Path DIRECTORY = SwarmProcess.checkout().resolve("deploy/prometheus");

  private static String promtool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(DIRECTORY.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  @Test
  void configAndRulesPassPromtool() throws Exception {
    assertThat(promtool("check", "config", "prometheus.yml")).contains("SUCCESS");
    assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS: 12 rules found");
  }
}
