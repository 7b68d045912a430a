package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JUnit XML test results end to end: {@code swarm up} as a process, {@code swarm run} as another,
 * a real job that writes two reports (one with a failing test that printed something, one that
 * passes) and fails. The drone reads them, the orchestrator keeps them, the API shows them with
 * the run and per job, {@code swarm run} prints them, and they are still there after a restart.
 */
class TestReportsSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path work;

  private SwarmProcess swarm;

  @AfterEach
  void stopSwarm() {
    if (swarm != null) {
      swarm.close();
    }
  }

  private Api up(String name) throws Exception {
    swarm = SwarmProcess.start(work, name, Map.of(), "up", "--port", "0", "--kill-grace", "1", "--no-host-guard");
    String url = swarm.awaitUrl(TIMEOUT);
    return new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
  }

  private static final String FAILING = """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuite name="com.example.CartTest" time="0.75" tests="2" errors="0" skipped="0" failures="1">
        <testcase name="adds" classname="com.example.CartTest" time="0.25"/>
        <testcase name="totals" classname="com.example.CartTest" time="0.5">
          <failure message="expected: &lt;3&gt; but was: &lt;2&gt;" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: expected: &lt;3&gt; but was: &lt;2&gt;
        at com.example.CartTest.totals(CartTest.java:31)</failure>
          <system-out><![CDATA[computing the total of 2 items
      ]]></system-out>
        </testcase>
      </testsuite>
      """;

  private static final String PASSING = """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuite name="com.example.PriceTest" time="0.125" tests="1" errors="0" skipped="0" failures="0">
        <testcase name="rounds" classname="com.example.PriceTest" time="0.125"/>
      </testsuite>
      """;

  private static JsonNode job(JsonNode run, String name) {
    for (JsonNode job : run.path("jobs")) {
      if (job.path("name").asText().equals(name)) {
        return job;
      }
    }
    throw new AssertionError("no job " + name + " in " + run);
  }

  @Test
  void aFailingJobsReportsAreInTheApiAndPrintedBySwarmRunAndSurviveARestart() throws Exception {
    Api api = up("up");
    Path dir = Files.createDirectories(work.resolve("shop"));
    Files.createDirectories(dir.resolve("fixtures"));
    Files.writeString(dir.resolve("fixtures/TEST-com.example.CartTest.xml"), FAILING);
    Files.writeString(dir.resolve("fixtures/TEST-com.example.PriceTest.xml"), PASSING);
    Files.writeString(dir.resolve(".buildswarm.yml"), """
        name: shop
        jobs:
          unit:
            reports: [target/surefire-reports/*.xml]
            steps:
              - name: test
                run: |
                  mkdir -p target/surefire-reports
                  for f in fixtures/*.xml; do cat "$f" > "target/surefire-reports/$(basename "$f")"; done
                  echo "Tests run: 3, Failures: 1"
                  exit 1
          lint:
            steps: ["echo clean"]
        """);
    SwarmProcess run = SwarmProcess.start(work, "run", Map.of(), "run", dir.toString());
    assertThat(run.process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("%s", run.output()).isTrue();
    assertThat(run.process.exitValue()).as("%s", run.output()).isEqualTo(1);
    String printed = run.stdout();
    run.close();
    assertThat(printed).contains("tests: 2 passed, 1 failed\n")
        .contains("\u2717 com.example.CartTest.totals: expected: <3> but was: <2>\n");
    long runId = Long.parseLong(Pattern.compile("run #(\\d+) of ").matcher(printed).results().findFirst()
        .orElseThrow().group(1));

    JsonNode detail = api.get("/api/v1/runs/" + runId).json();
    JsonNode unit = job(detail, "unit");
    JsonNode lint = job(detail, "lint");
    assertThat(unit.path("state").asText()).isEqualTo("FAILED");
    String summary = "{\"total\":3,\"passed\":2,\"failed\":1,\"errored\":0,\"skipped\":0,\"durationMs\":875}";
    assertThat(unit.path("tests").toString()).isEqualTo(summary);
    assertThat(lint.has("tests")).as("present, as null: %s", lint).isTrue();
    assertThat(lint.path("tests").isNull()).isTrue();
    assertThat(detail.path("tests").toString()).isEqualTo(summary);

    String path = "/api/v1/jobs/" + unit.path("id").asLong() + "/tests";
    Api.Response tests = api.get(path);
    assertThat(tests.status()).as("%s", tests.text()).isEqualTo(200);
    assertResults(tests.json(), unit.path("id").asLong(), summary);
    assertThat(api.get(path + "?attempt=1").json()).isEqualTo(tests.json());
    assertThat(api.get(path + "?attempt=2").status()).isEqualTo(404);
    Api.Response none = api.get("/api/v1/jobs/" + lint.path("id").asLong() + "/tests");
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.json().path("error").path("code").asText()).isEqualTo("not_found");
    String log = api.get("/api/v1/jobs/" + unit.path("id").asLong() + "/log").text();
    assertThat(log).contains("==> reports: 2 file(s), 3 tests: 2 passed, 1 failed, 0 errored, 0 skipped");

    assertThat(swarm.terminate(Duration.ofSeconds(60))).as("a clean stop").isTrue();
    swarm.close();
    Api again = up("up-again");
    JsonNode restarted = again.get("/api/v1/runs/" + runId).json();
    assertThat(job(restarted, "unit").path("tests").toString()).isEqualTo(summary);
    assertThat(restarted.path("tests").toString()).isEqualTo(summary);
    assertResults(again.get(path).json(), unit.path("id").asLong(), summary);
  }

  private static void assertResults(JsonNode tests, long jobId, String summary) {
    assertThat(tests.path("jobId").asLong()).isEqualTo(jobId);
    assertThat(tests.path("attempt").asInt()).isEqualTo(1);
    assertThat(tests.path("summary").toString()).isEqualTo(summary);
    assertThat(tests.path("truncated").asBoolean(true)).isFalse();
    assertThat(tests.path("failures")).hasSize(1);
    JsonNode failure = tests.path("failures").get(0);
    assertThat(failure.path("suite").asText()).isEqualTo("com.example.CartTest");
    assertThat(failure.path("classname").asText()).isEqualTo("com.example.CartTest");
    assertThat(failure.path("name").asText()).isEqualTo("totals");
    assertThat(failure.path("kind").asText()).isEqualTo("failure");
    assertThat(failure.path("message").asText()).isEqualTo("expected: <3> but was: <2>");
    assertThat(failure.path("type").asText()).isEqualTo("org.opentest4j.AssertionFailedError");
    assertThat(failure.path("detail").asText()).contains("at com.example.CartTest.totals(CartTest.java:31)");
    assertThat(failure.path("output").asText()).isEqualTo("computing the total of 2 items\n");
    assertThat(failure.path("durationMs").asLong()).isEqualTo(500);
  }
}
