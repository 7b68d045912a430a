package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The web UI in a real headless Chromium against a swarm of separate processes: live status, the
 * job graph and a job's log; then the orchestrator stops and the page turns amber with the
 * snapshot's time while still showing the swarm; it starts again and the page turns green by itself.
 * Screenshots of each step are saved under {@code target/ui-screenshots}.
 */
class WebUiSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir
  static Path work;

  static Cluster cluster;
  static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Browser.available()).as("Debian's chromium and chromium-driver (./test.sh installs them)").isTrue();
    cluster = new Cluster(work, "127.0.0.1");
    // One watched repository that cannot be read: the Projects page must say so, and why.
    Files.writeString(work.resolve("projects.yml"), "projects:\n  vanished:\n    url: "
        + work.resolve("no-such-repository").toUri() + "\n    poll: 1s\n");
    cluster.startCore("--projects", work.resolve("projects.yml").toString());
    cluster.startDrone("d1", 2, null, "127.0.0.1");
    browser = new Browser(work, Path.of("target", "ui-screenshots"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  private long submit(String project, String yaml, Path source) throws Exception {
    Api.Response created = cluster.api.post("/api/v1/runs", Api.submission(project, yaml, source.toString()));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    return created.json().path("id").asLong();
  }

  private void awaitFreshness(String state, Pattern text, String screenshot) throws Exception {
    try {
      browser.waitUpTo(TIMEOUT).until(driver -> {
        WebElement dot = driver.findElement(By.id("live"));
        String shown = driver.findElement(By.id("live-text")).getText();
        return dot.getAttribute("class").contains(state) && text.matcher(shown).matches();
      });
    } catch (TimeoutException e) {
      browser.screenshot(screenshot + "-timed-out");
      throw new AssertionError("the page never showed " + state + " " + text + "; it shows \""
          + browser.text(By.id("live-text")) + "\"\n" + browser.console(), e);
    }
    browser.screenshot(screenshot);
  }

  @Test
  void showsTheSwarmLiveFallsBackToTheSnapshotWhileTheOrchestratorIsAwayAndRecoversByItself() throws Exception {
    Path example = SwarmProcess.checkout().resolve("examples/diamond");
    long diamond = submit("diamond", Files.readString(example.resolve(".buildswarm.yml")), example);
    JsonNode detail = cluster.api.awaitRun(diamond, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    submit("ml", """
        jobs:
          train:
            labels: [gpu]
            steps:
              - run: echo never
        """, work);

    browser.driver.get(cluster.url + "#/");
    awaitFreshness("live", Pattern.compile("live"), "1-overview-live");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("table.queue"),
        "gpu"));
    assertThat(browser.text(By.cssSelector("[data-drone-row=d1]"))).contains("online");

    // The run: its job graph, and a job's log on a click.
    browser.driver.get(cluster.url + "#/runs/" + diamond);
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.numberOfElementsToBeMoreThan(
        By.cssSelector("svg.job-graph g.node"), 4));
    List<String> nodeClasses = browser.waitUpTo(TIMEOUT).until(driver -> driver.findElements(
        By.cssSelector("svg.job-graph g.node")).stream().map(node -> node.getAttribute("class")).toList());
    assertThat(nodeClasses).allSatisfy(classes -> assertThat(classes).contains("SUCCEEDED"));
    browser.click(By.cssSelector("svg.job-graph g.node[data-job='" + jobId(detail, "package") + "']"));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-text"),
        "packaged on Linux"));
    browser.screenshot("2-run-graph-and-log");

    // The run list shows where each run came from, and filters.
    browser.driver.get(cluster.url + "#/runs?project=diamond&state=succeeded");
    By row = By.cssSelector("tr[data-href='#/runs/" + diamond + "']");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.visibilityOfElementLocated(row));
    assertThat(browser.text(row)).contains("diamond", example.toString());
    assertThat(browser.texts(By.cssSelector("tbody tr[data-href]"))).as("only diamond's succeeded runs")
        .allSatisfy(each -> assertThat(each).contains("diamond"));
    browser.screenshot("2b-runs-filtered");
    // The Projects page: a repository whose poll fails, with the error.
    browser.driver.get(cluster.url + "#/projects");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("view"), "failing"));
    assertThat(browser.text(By.id("view"))).contains("vanished", "no-such-repository");
    browser.screenshot("2c-projects");

    // The orchestrator goes away: the page says it shows a snapshot, and when it was taken.
    browser.driver.get(cluster.url + "#/");
    cluster.orchestrator.close();
    awaitFreshness("stale", Pattern.compile("snapshot from \\d{1,2}:\\d{2}:\\d{2}.*"), "3-orchestrator-away");
    assertThat(browser.text(By.cssSelector("[data-drone-row=d1]")))
        .as("the snapshot still shows the swarm").contains("d1");
    // A fresh load of the page works too: the UI is served throughout.
    browser.driver.navigate().refresh();
    awaitFreshness("stale", Pattern.compile("snapshot from .+"), "4-reloaded-while-away");
    assertThat(browser.text(By.cssSelector("table.queue"))).contains("gpu");

    // Back again: green without anyone reloading.
    cluster.orchestrator = cluster.startOrchestrator(0);
    awaitFreshness("live", Pattern.compile("live"), "5-live-again");
  }

  private static long jobId(JsonNode detail, String name) {
    for (JsonNode job : detail.path("jobs")) {
      if (job.path("name").asText().equals(name)) {
        return job.path("id").asLong();
      }
    }
    throw new AssertionError("no job " + name + " in " + detail);
  }
}
