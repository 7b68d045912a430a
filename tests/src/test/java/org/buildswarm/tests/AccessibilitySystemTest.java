package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * Every page of the web UI for everyone: axe-core (the npm package, injected into the page) finds no
 * serious or critical violation in the dark and in the light theme; at a phone's 390 px nothing
 * makes the page scroll sideways; and a run's job log is reached with the keyboard alone.
 */
class AccessibilitySystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String TOKEN_KEY = "buildswarm.token";
  private static final List<String> PAGES = List.of("#/", "#/runs", "#/queue", "#/drones", "#/environments",
      "#/artifacts", "#/projects");

  @TempDir
  static Path work;

  static Cluster cluster;
  static Browser browser;
  static String axe;
  static long run;
  static long job;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Browser.available()).as("Debian's chromium and chromium-driver (./test.sh installs them)").isTrue();
    Path axeScript = SwarmProcess.checkout().resolve("tests/node_modules/axe-core/axe.min.js");
    assertThat(axeScript).as("the npm package axe-core (./test.sh installs it: npm ci --prefix tests)").exists();
    axe = Files.readString(axeScript);
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore();
    cluster.startDrone("d1", 2, null, "127.0.0.1");
    Path source = Files.createDirectories(work.resolve("source"));
    Api.Response created = cluster.api.post("/api/v1/runs", Api.submission("shop", """
        name: shop checks
        jobs:
          build:
            steps:
              - run: printf '\\033[32mcompiled\\033[0m 12 files\\n'
          test:
            needs: [build]
            steps:
              - run: echo "$((40 + 2)) tests failed"; exit 1
          never:
            labels: [gpu]
            steps:
              - run: echo no drone has a gpu
        """, source.toString()));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    run = created.json().path("id").asLong();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode detail;
    do {
      Thread.sleep(200);
      detail = cluster.api.get("/api/v1/runs/" + run).json();
    } while (!jobState(detail, "test").equals("FAILED") && System.nanoTime() < deadline);
    assertThat(jobState(detail, "test")).isEqualTo("FAILED");
    for (JsonNode each : detail.path("jobs")) {
      if (each.path("name").asText().equals("test")) {
        job = each.path("id").asLong();
      }
    }
    browser = new Browser(work, Path.of("target", "ui-screenshots"));
    browser.driver.get(cluster.url + "#/");
    browser.driver.executeScript("window.localStorage.setItem(arguments[0], arguments[1]);", TOKEN_KEY,
        Files.readString(work.resolve("admin.token")).strip());
    // Signed in from now on: the page reads the token when it loads.
    browser.driver.navigate().refresh();
  }

  private static String jobState(JsonNode detail, String name) {
    for (JsonNode each : detail.path("jobs")) {
      if (each.path("name").asText().equals(name)) {
        return each.path("state").asText();
      }
    }
    return "";
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

  private static List<String> pages() {
    List<String> all = new ArrayList<>(PAGES);
    all.add("#/runs/" + run);
    all.add("#/runs/" + run + "?job=" + job);
    return all;
  }

  /** Opens a page and waits until it has drawn (the view left "Loading…", the log says how it is). */
  private static void open(String page) {
    browser.driver.get(cluster.url + page);
    browser.waitUpTo(TIMEOUT).until(driver -> {
      String text = driver.findElement(By.id("view")).getText();
      return !text.contains("Loading…") && !text.isBlank()
          && (!page.contains("job=") || driver.findElement(By.id("log-status")).getText().contains("complete"));
    });
  }

  private static void colourScheme(String scheme) {
    browser.driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
        List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
  }

  /** axe-core's serious and critical violations on the page as it is now, one line each. */
  @SuppressWarnings("unchecked")
  private static List<String> violations() throws Exception {
    browser.driver.executeScript(axe);
    Object result = browser.driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] })
          .then((r) => done(JSON.stringify(r.violations)), (e) => done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])));
        """);
    JsonNode found = new ObjectMapper().readTree((String) result);
    List<String> serious = new ArrayList<>();
    for (JsonNode violation : found) {
      String impact = violation.path("impact").asText();
      if (impact.equals("serious") || impact.equals("critical")) {
        List<String> targets = new ArrayList<>();
        violation.path("nodes").forEach(node -> targets.add(node.path("target").toString() + " "
            + node.path("failureSummary").asText().replace('\n', ' ')));
        serious.add(impact + " " + violation.path("id").asText() + ": " + violation.path("help").asText() + " at "
            + String.join("; ", targets.subList(0, Math.min(3, targets.size()))));
      }
    }
    return serious;
  }

  @Test
  void axeFindsNoSeriousViolationOnAnyPageInEitherTheme() throws Exception {
    browser.driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
    List<String> problems = new ArrayList<>();
    for (String scheme : List.of("dark", "light")) {
      colourScheme(scheme);
      for (String page : pages()) {
        open(page);
        violations().forEach(v -> problems.add(scheme + " " + page + ": " + v));
      }
      browser.screenshot("a11y-run-page-" + scheme);
    }
    colourScheme("dark");
    assertThat(problems).as("axe-core's serious and critical violations").isEmpty();
  }

  @Test
  void atAPhonesWidthNoPageScrollsSideways() throws Exception {
    Dimension before = browser.driver.manage().window().getSize();
    try {
      browser.driver.manage().window().setSize(new Dimension(390, 844));
      List<String> overflowing = new ArrayList<>();
      for (String page : pages()) {
        open(page);
        long width = (Long) browser.driver.executeScript("return document.documentElement.clientWidth;");
        long scrollWidth = (Long) browser.driver.executeScript("return document.documentElement.scrollWidth;");
        if (scrollWidth > width) {
          // The innermost elements that reach past the view's right edge: what to fix.
          Object culprits = browser.driver.executeScript("""
              const width = document.documentElement.clientWidth;
              return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width + 1
                && ![...e.children].some((c) => c.getBoundingClientRect().right > width + 1))
                .slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
              """);
          overflowing.add(page + ": " + scrollWidth + " px wide in a " + width + " px view, by " + culprits);
        }
        if (page.contains("job=")) {
          browser.screenshot("a11y-390px-log");
        }
      }
      assertThat(overflowing).as("pages wider than a 390 px phone").isEmpty();
    } finally {
      browser.driver.manage().window().setSize(before);
    }
  }

  @Test
  void aFailedJobsLogIsReachedWithTheKeyboardAlone() throws Exception {
    open("#/runs");
    browser.click(By.tagName("body"));
    String runLink = "#/runs/" + run;
    tabUntil(element -> runLink.equals(element.getAttribute("href") == null ? null
        : element.getAttribute("href").replaceFirst("^.*?(#/)", "#/")));
    new Actions(browser.driver).sendKeys(Keys.ENTER).perform();
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.urlContains(runLink));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("table.jobs")));
    tabUntil(element -> "test".equals(element.getText()) && "a".equals(element.getTagName()));
    new Actions(browser.driver).sendKeys(Keys.ENTER).perform();
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.urlContains("job=" + job));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-text"), "42 tests failed"));
    // The failed step's section header is a button: Enter collapses it and opens it again.
    tabUntil(element -> "button".equals(element.getTagName()) && element.getText().contains("[1/1]"));
    new Actions(browser.driver).sendKeys(Keys.ENTER).perform();
    browser.waitUpTo(TIMEOUT).until(driver -> !driver.findElement(By.id("log-text")).getText().contains("42 tests failed"));
    String expanded = browser.waitUpTo(TIMEOUT).until(driver -> driver.switchTo().activeElement().getAttribute("aria-expanded"));
    assertThat(expanded).isEqualTo("false");
  }

  /** Presses Tab until the focused element is the one wanted (at most 80 times). */
  private static void tabUntil(java.util.function.Predicate<WebElement> wanted) {
    for (int i = 0; i < 80; i++) {
      new Actions(browser.driver).sendKeys(Keys.TAB).perform();
      // A redraw between the key and the look replaces the focused element with its successor.
      // (A look that answers "no" is an answer too: hence a String, which the wait does not retry.)
      String reached = browser.waitUpTo(TIMEOUT).until(driver -> wanted.test(driver.switchTo().activeElement()) ? "yes" : "no");
      if (reached.equals("yes")) {
        return;
      }
    }
    throw new AssertionError("80 presses of Tab never reached the element; last: "
        + browser.driver.switchTo().activeElement().getAttribute("outerHTML"));
  }
}
