package org.buildswarm.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (the Debian package's {@code prometheus}) scraping one target every second,
 * with its data in a directory of the test's. Closing it stops the process.
 */
final class PrometheusServer implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final Api api;

  private PrometheusServer(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.api = new Api("http://127.0.0.1:" + port + "/", null);
  }

  /** Starts Prometheus scraping {@code target} (host:port, path /metrics) and waits until it is ready. */
  static PrometheusServer start(Path directory, String target) throws Exception {
    Files.createDirectories(directory);
    Path config = directory.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
        scrape_configs:
          - job_name: buildswarm
            static_configs:
              - targets: ['%s']
        """.formatted(target));
    int port = Cluster.freePort();
    Path log = directory.resolve("prometheus.log");
    Process process = new ProcessBuilder("prometheus", "--config.file=" + config,
        "--storage.tsdb.path=" + directory.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PrometheusServer server = new PrometheusServer(process, log, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        if (server.api.get("/-/ready").status() == 200) {
          return server;
        }
      } catch (IOException notYet) {
        // still starting
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        server.close();
        throw new AssertionError("prometheus did not become ready:\n" + Files.readString(log));
      }
      Thread.sleep(200);
    }
  }

  /** An instant query through Prometheus's HTTP API; returns {@code data.result}. */
  JsonNode query(String promql) throws Exception {
    Api.Response response = api.get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    if (response.status() != 200 || !"success".equals(response.json().path("status").asText())) {
      throw new AssertionError("query " + promql + " failed: " + response.text());
    }
    return response.json().path("data").path("result");
  }

  /** The names of every metric Prometheus has scraped. */
  java.util.Set<String> metricNames() throws Exception {
    Api.Response response = api.get("/api/v1/label/__name__/values");
    if (response.status() != 200) {
      throw new AssertionError("metric names: " + response.text());
    }
    java.util.Set<String> names = new java.util.TreeSet<>();
    response.json().path("data").forEach(name -> names.add(name.asText()));
    return names;
  }

  /** Polls a query until it has a series whose value satisfies {@code expected}; returns that result. */
  JsonNode awaitValue(String promql, java.util.function.DoublePredicate expected, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode result = null;
    while (System.nanoTime() < deadline) {
      result = query(promql);
      for (JsonNode series : result) {
        if (expected.test(Double.parseDouble(series.path("value").get(1).asText()))) {
          return result;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no series of " + promql + " reached the expected value within " + timeout
        + "; last: " + result + "\ntargets: " + api.get("/api/v1/targets").text());
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
