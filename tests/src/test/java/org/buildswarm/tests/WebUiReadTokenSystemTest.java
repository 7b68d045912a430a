package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * A swarm whose reads need a token, in a real browser: before signing in the UI shows nothing of
 * the swarm and says why; the API answers 401; after signing in with a viewer token the page
 * follows the swarm live (events read with fetch, the token in a header) and shows a job's log.
 */
class WebUiReadTokenSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path work;
  private SwarmProcess swarm;
  private Browser browser;

  @AfterEach
  void stop() throws Exception {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      if (swarm != null) {
        swarm.close();
      }
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  @Test
  void nothingIsShownWithoutATokenAndEverythingWithAViewerToken() throws Exception {
    assertThat(Browser.available()).as("Debian's chromium and chromium-driver (./test.sh installs them)").isTrue();
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--no-host-guard", "--reads-need-token", "yes");
    String url = swarm.awaitUrl(TIMEOUT);
    String admin = Files.readString(work.resolve(".buildswarm/admin.token")).trim();
    Api api = new Api(url, admin);
    Api anonymous = new Api(url, null);
    assertThat(anonymous.get("/api/v1/runs").status()).isEqualTo(401);
    assertThat(anonymous.get("/api/v1/overview").status()).isEqualTo(401);

    Api.Response created = api.post("/api/v1/tokens", Map.of("name", "watcher", "role", "viewer"));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String viewer = created.json().path("token").asText();

    browser = new Browser(work, Path.of("target", "ui-screenshots"));
    browser.driver.get(url + "#/runs");
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("view"),
        "token holders only"));
    browser.screenshot("read-token-1-signed-out");

    browser.click(By.id("sign-in"));
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.alertIsPresent()).sendKeys(viewer);
    browser.driver.switchTo().alert().accept();
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("account"), "watcher"));

    // A run started after signing in appears by itself: the live stream carries the token.
    Api.Response run = api.post("/api/v1/runs", Map.of("project", "seen", "pipeline",
        "jobs:\n  hello: {steps: [\"echo shown-to-viewers\"]}\n"));
    assertThat(run.status()).as(run.text()).isEqualTo(201);
    long id = run.json().path("id").asLong();
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("view"), "seen"));
    api.awaitRun(id, TIMEOUT);
    browser.driver.get(url + "#/runs/" + id);
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-job]")))
        .click();
    browser.waitUpTo(TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-text"),
        "shown-to-viewers"));
    browser.screenshot("read-token-2-signed-in");
  }
}
