package org.buildswarm.gateway.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  @Test
  void aFamilyInBothProcessesIsDeclaredOnceWithAllSamples() {
    String gateway = """
        # HELP jvm_threads_live_threads live threads
        # TYPE jvm_threads_live_threads gauge
        jvm_threads_live_threads{role="gateway"} 20.0
        # HELP vertx_http_server_requests_total requests
        # TYPE vertx_http_server_requests_total counter
        vertx_http_server_requests_total{role="gateway"} 3.0
        """;
    String orchestrator = """
        # HELP buildswarm_queue_jobs jobs
        # TYPE buildswarm_queue_jobs gauge
        buildswarm_queue_jobs{role="orchestrator",state="queued"} 4.0
        # HELP jvm_threads_live_threads live threads
        # TYPE jvm_threads_live_threads gauge
        jvm_threads_live_threads{role="orchestrator"} 30.0
        # EOF
        """;
    String merged = PrometheusText.merge(List.of(gateway, orchestrator));
    assertThat(merged.lines().filter(line -> line.equals("# TYPE jvm_threads_live_threads gauge"))).hasSize(1);
    assertThat(merged).contains("""
        # HELP jvm_threads_live_threads live threads
        # TYPE jvm_threads_live_threads gauge
        jvm_threads_live_threads{role="gateway"} 20.0
        jvm_threads_live_threads{role="orchestrator"} 30.0
        """);
    assertThat(merged).contains("buildswarm_queue_jobs{role=\"orchestrator\",state=\"queued\"} 4.0")
        .doesNotContain("# EOF");
  }

  @Test
  void anAbsentOrchestratorLeavesTheLocalMetrics() {
    assertThat(PrometheusText.merge(List.of("# TYPE up gauge\nup 1\n", ""))).isEqualTo("# TYPE up gauge\nup 1\n");
  }
}
