package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The run page and its log viewer in a real headless Chromium against a swarm of separate
 * processes: ANSI colours rendered, one section per step with the failed step open and the others
 * collapsed, search, line links, and a 50 MB log that stays a few hundred rows in the page.
 */
class RunPageSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String TOKEN_KEY = "buildswarm.token";

  @TempDir
  static Path work;

  static Cluster cluster;
  static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Browser.available()).as("Debian's chromium and chromium-driver (./test.sh installs them)").isTrue();
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore();
    cluster.startDrone("d1", 2, null, "127.0.0.1");
    browser = new Browser(work, Path.of("target", "ui-screenshots"));
    browser.driver.get(cluster.url + "#/");
    browser.driver.executeScript("window.localStorage.setItem(arguments[0], arguments[1]);", TOKEN_KEY,
        Files.readString(work.resolve("admin.token")).strip());
    // Signed in from now on: the page reads the token when it loads.
    browser.driver.navigate().refresh();
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

  static long submit(String project, String yaml) throws Exception {
    Path source = Files.createDirectories(work.resolve("source-" + project));
    Api.Response created = cluster.api.post("/api/v1/runs", Api.submission(project, yaml, source.toString()));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    return created.json().path("id").asLong();
  }

  static long jobId(JsonNode detail, String name) {
    for (JsonNode job : detail.path("jobs")) {
      if (job.path("name").asText().equals(name)) {
        return job.path("id").asLong();
      }
    }
    throw new AssertionError("no job " + name + " in " + detail);
  }

  /** The log viewer's rows now in the page, as their text. */
  private static List<String> rows() {
    return browser.texts(By.cssSelector("#log-text .log-row"));
  }

  private static String expanded(String title) {
    return browser.waitUpTo(TIMEOUT)
        .until(driver -> sectionHeader(title).getAttribute("aria-expanded"));
  }

  private static void clickSection(String title) {
    browser.waitUpTo(TIMEOUT).until(driver -> {
      sectionHeader(title).click();
      return true;
    });
  }

  private static WebElement sectionHeader(String title) {
    return browser.waitUpTo(TIMEOUT)
        .until(driver -> driver.findElements(By.cssSelector("#log-text .log-row.section button"))
        .stream().filter(button -> button.getText().contains(title)).findFirst().orElse(null));
  }

  @Test
  void theLogShowsColoursAndStepsWithTheFailedStepOpenAndSearchesAndLinksToALine() throws Exception {
    long run = submit("colours", """
        name: colourful pipeline
        jobs:
          paint:
            steps:
              - run: printf '\\033[1;34mbold blue\\033[0m then \\033[31mred\\033[0m and plain\\n'
              - run: echo the second step says $((40 + 2))
              - run: echo about to fail; exit 3
        """);
    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("FAILED");
    long paint = jobId(detail, "paint");

    browser.driver.get(cluster.url + "#/runs/" + run);
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#view h2"),
        "Run #" + run + " "));
    // The pipeline's name is shown (the page redraws on live events: read it by waiting, not by holding the element).
    browser.waitUpTo(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#view h2"), "colourful pipeline"));
    // The job's name is a real link to its log.
    browser.click(By.cssSelector("table.jobs a[href='#/runs/" + run + "?job=" + paint + "']"));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".log-title"),
        "Log of paint"));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-status"), "complete"));

    // The failed step is open, the steps that passed are collapsed.
    assertThat(expanded("[3/3]")).isEqualTo("true");
    String failedHeader = browser.waitUpTo(TIMEOUT)
        .until(driver -> sectionHeader("[3/3]").getText());
    assertThat(failedHeader).contains("exit 3");
    assertThat(expanded("[1/3]")).isEqualTo("false");
    assertThat(expanded("[2/3]")).isEqualTo("false");
    assertThat(String.join("\n", rows())).contains("about to fail").doesNotContain("says 42");
    // Each line shows when the drone wrote it.
    assertThat(browser.texts(By.cssSelector("#log-text .log-row .ts")).stream()
        .filter(text -> !text.isEmpty()).toList()).isNotEmpty().allMatch(text -> text.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3}"));
    browser.screenshot("run-page-1-failed-step-open");

    // Opening the first step shows its colours as colours, not escape codes.
    clickSection("[1/3]");
    assertThat(browser.text(By.cssSelector("#log-text span.fg-4.b"))).isEqualTo("bold blue");
    assertThat(browser.text(By.cssSelector("#log-text span.fg-1"))).isEqualTo("red");
    // (The step's header shows its command, which holds the escapes as typed; the output line must not.)
    assertThat(rows()).filteredOn(row -> row.contains("bold blue then red and plain")).singleElement().asString()
        .doesNotContain("[1;34m", "\u001b", "␛", "[0m");
    assertThat(expanded("[1/3]")).isEqualTo("true");
    clickSection("[1/3]");
    browser.waitUpTo(TIMEOUT).until(driver -> String.join("\n", rows()).contains("bold blue then red and plain") ? null : true);

    // Search opens the collapsed step that holds the match and marks it.
    browser.type(By.cssSelector(".log-search"), "says 42");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".log-matches"),
        "1 of 1"));
    assertThat(browser.text(By.cssSelector("#log-text mark"))).isEqualTo("says 42");
    assertThat(expanded("[2/3]")).isEqualTo("true");
    browser.screenshot("run-page-2-search");

    // A line's number is a link to that line: opened afresh, the page shows the line marked.
    String number = browser.waitUpTo(TIMEOUT)
        .until(driver -> driver.findElements(By.cssSelector("#log-text .log-row:not(.section)")).stream()
            .filter(row -> row.findElement(By.cssSelector(".text")).getText().equals("about to fail")).findFirst()
            .map(row -> row.getAttribute("data-line")).orElse(null));
    browser.click(By.cssSelector("#log-text .log-row[data-line='" + number + "'] a.ln"));
    String address = browser.driver.getCurrentUrl();
    assertThat(address).contains("job=" + paint, "line=" + number);
    browser.driver.get("about:blank");
    browser.driver.get(address);
    assertThat(browser.text(By.cssSelector("#log-text .log-row.target .text"))).isEqualTo("about to fail");
    browser.screenshot("run-page-3-line-link");
  }

  @Test
  void reRunningTheFailedJobsFromThePageKeepsThePassedOnesAndBothAttemptsLogs() throws Exception {
    Path source = Files.createDirectories(work.resolve("source-flaky"));
    Api.Response created = cluster.api.post("/api/v1/runs", Api.submission("flaky", """
        jobs:
          compile:
            steps:
              - run: echo compiled once
          check:
            needs: [compile]
            steps:
              - run: |
                  if test -f marker; then echo "marker says $(cat marker)"; else echo "no marker, $((1 + 1)) tries left"; exit 1; fi
        """, source.toString()));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    long run = created.json().path("id").asLong();
    JsonNode first = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(first.path("run").path("state").asText()).isEqualTo("FAILED");
    long check = jobId(first, "check");
    long compile = jobId(first, "compile");
    Files.writeString(source.resolve("marker"), "now\n");

    browser.driver.get(cluster.url + "#/runs/" + run);
    By retry = By.cssSelector("button[data-action=retry-failed]");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.elementToBeClickable(retry));
    assertThat(browser.text(retry)).isEqualTo("Re-run failed jobs");
    browser.click(By.cssSelector("button[data-action=retry-failed]"));
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode after = cluster.api.get("/api/v1/runs/" + run).json();
    while (!after.path("run").path("state").asText().equals("SUCCEEDED") && System.nanoTime() < deadline) {
      Thread.sleep(200);
      after = cluster.api.get("/api/v1/runs/" + run).json();
    }
    assertThat(after.path("run").path("state").asText()).as("the same run, once its failed job ran again").isEqualTo("SUCCEEDED");
    for (JsonNode job : after.path("jobs")) {
      if (job.path("id").asLong() == compile) {
        assertThat(job.path("attempt").asInt()).as("compile passed and is not run again").isEqualTo(1);
      }
      if (job.path("id").asLong() == check) {
        assertThat(job.path("attempt").asInt()).isEqualTo(2);
      }
    }
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#view h2"), "succeeded"));

    // The job's log: the latest attempt, and the first one through the attempt picker.
    browser.click(By.cssSelector("table.jobs a[href='#/runs/" + run + "?job=" + check + "']"));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-text"), "marker says now"));
    assertThat(browser.text(By.cssSelector(".log-title"))).isEqualTo("Log of check · attempt 2");
    browser.waitUpTo(TIMEOUT).until(driver -> {
      new org.openqa.selenium.support.ui.Select(driver.findElement(By.cssSelector("select.log-attempt"))).selectByValue("1");
      return true;
    });
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-text"), "no marker, 2 tries left"));
    assertThat(browser.driver.getCurrentUrl()).contains("attempt=1");
    assertThat(browser.text(By.id("log-text"))).doesNotContain("marker says now");
    browser.screenshot("run-page-5-attempt-picker");
  }

  @Test
  void theRunPageShowsTheTestsOfItsJobsWithEachFailuresMessageAndOutput() throws Exception {
    long run = submit("tested", """
        jobs:
          unit:
            reports: [reports/*.xml]
            steps:
              - run: |
                  mkdir -p reports
                  cat > reports/TEST-cart.xml <<'XML'
                  <testsuite name="shop.CartTest" tests="2" failures="1">
                    <testcase classname="shop.CartTest" name="addsItems" time="0.1"/>
                    <testcase classname="shop.CartTest" name="totals" time="0.2">
                      <failure message="expected 3 but was 2" type="AssertionError">at shop.CartTest.totals(CartTest.java:12)</failure>
                      <system-out>computing the total of two items</system-out>
                    </testcase>
                  </testsuite>
                  XML
                  cat > reports/TEST-price.xml <<'XML'
                  <testsuite name="shop.PriceTest" tests="1"><testcase classname="shop.PriceTest" name="rounds" time="0.05"/></testsuite>
                  XML
                  exit 1
        """);
    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("FAILED");
    assertThat(detail.path("tests").path("total").asInt()).as(detail.toString()).isEqualTo(3);

    browser.driver.get(cluster.url + "#/runs/" + run);
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("test-failures"), "totals"));
    assertThat(browser.text(By.cssSelector("section[aria-labelledby=tests-title]"))).contains("1 failed", "2 passed", "of 3");
    assertThat(browser.text(By.cssSelector("table.jobs"))).contains("1 failed, 2 passed");
    By failure = By.cssSelector("#test-failures details.failure");
    assertThat(browser.text(failure)).contains("shop.CartTest.totals", "expected 3 but was 2");
    browser.click(By.cssSelector("#test-failures details.failure summary"));
    browser.waitUpTo(TIMEOUT).until(driver -> browser.text(failure).contains("computing the total of two items"));
    assertThat(browser.text(failure)).contains("at shop.CartTest.totals(CartTest.java:12)");
    browser.screenshot("run-page-6-tests");
  }

  @Test
  void aFiftyMegabyteLogStaysAFewHundredRowsInThePageAndFindsItsLastLines() throws Exception {
    long run = submit("big-log", """
        jobs:
          flood:
            steps:
              - run: seq 1 700000 | sed 's/.*/line number & of a long log, padded to about seventy-five bytes ..../'
        """);
    JsonNode detail = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).isEqualTo("SUCCEEDED");
    long flood = jobId(detail, "flood");
    String log = cluster.api.awaitLog(flood, TIMEOUT);
    assertThat(log.length()).as("the log's size").isGreaterThan(50_000_000);

    browser.driver.get(cluster.url + "#/runs/" + run + "?job=" + flood);
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-status"), "complete"));
    assertThat(browser.text(By.id("log-status"))).matches("complete, 7000\\d\\d lines, .*");
    browser.type(By.cssSelector(".log-search"), "line number 654321 of");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".log-matches"),
        "1 of 1"));
    assertThat(browser.text(By.cssSelector("#log-text mark"))).isEqualTo("line number 654321 of");
    assertThat(rows().size()).as("rows in the page for a log of 700,000 lines").isBetween(10, 400);
    // The end of the log is where scrolling to the end goes.
    browser.driver.executeScript("const s = document.getElementById('log-text'); s.scrollTop = s.scrollHeight;");
    browser.waitUpTo(TIMEOUT).until(driver -> String.join("\n", rows()).contains("line number 700000 of"));
    assertThat(rows().size()).isBetween(10, 400);
    browser.screenshot("run-page-4-fifty-megabytes");
  }
}
