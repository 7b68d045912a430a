package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Deploys with real processes: pushes to Git repositories (made here with JGit) are discovered by
 * polling and deploy to {@code prod}, the environment of {@code main}. The deploy steps write into a
 * directory standing for the deployed system, so what ran and what was undone can be seen from
 * outside the swarm.
 */
class DeploySystemTest {
  /** Without a sandbox: the deploy targets here are files on this host, written by the jobs (the sandbox is JobEscapeSystemTest's). */
  private static final String[] UNSANDBOXED = {"--sandbox", "none"};
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final Duration POLL = Duration.ofMillis(200);

  @TempDir
  static Path work;

  static final List<String> PROJECTS = List.of("chain", "guarded", "emitter", "held");
  static Cluster cluster;
  static SwarmProcess firstDrone;
  static final List<Git> repositories = new ArrayList<>();
  static Path target;

  @BeforeAll
  static void start() throws Exception {
    target = Files.createDirectories(work.resolve("deployed"));
    StringBuilder projects = new StringBuilder("projects:\n");
    for (String name : PROJECTS) {
      Path repo = work.resolve(name);
      repositories.add(Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call());
      projects.append("  ").append(name).append(":\n    url: ").append(repo.toUri())
          .append("\n    branches: [main]\n    poll: 1s\n");
    }
    Files.writeString(work.resolve("projects.yml"), projects.toString());
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore("--projects", work.resolve("projects.yml").toString());
    firstDrone = cluster.startDrone("d1", 4, null, "127.0.0.1", UNSANDBOXED);
  }

  @AfterAll
  static void stop() throws Exception {
    repositories.forEach(Git::close);
    if (cluster != null) {
      cluster.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  private static String commit(String project, Map<String, String> files) throws Exception {
    Git git = repositories.get(PROJECTS.indexOf(project));
    Path repo = git.getRepository().getWorkTree().toPath();
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(repo.resolve(file.getKey()), file.getValue());
    }
    git.add().addFilepattern(".").call();
    return git.commit().setMessage("change").setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call()
        .getName();
  }

  /** Build, then seven deploy steps in a chain; step N writes part N and a log line, its rollback restores both. */
  private static String sevenStepPipeline() {
    StringBuilder yaml = new StringBuilder("jobs:\n  build:\n    steps: [\"echo built\"]\n");
    for (int step = 1; step <= 7; step++) {
      String part = target.resolve("chain-part" + step).toString();
      String log = target.resolve("chain.log").toString();
      yaml.append("  step").append(step).append(":\n")
          .append("    needs: [").append(step == 1 ? "build" : "step" + (step - 1)).append("]\n")
          .append("    deploy: true\n")
          .append("    steps:\n")
          .append("      - echo \"deploy ").append(step).append(" $BUILDSWARM_DEPLOY_VERSION\" >> ").append(log).append("\n")
          .append("      - echo $BUILDSWARM_DEPLOY_VERSION > ").append(part).append("\n");
      if (step == 4) {
        yaml.append("      - test ! -e break-step-4\n");
      }
      yaml.append("    rollback:\n")
          .append("      - echo \"undo ").append(step).append(" $BUILDSWARM_PREVIOUS_VERSION\" >> ").append(log).append("\n")
          .append("      - echo $BUILDSWARM_PREVIOUS_VERSION > ").append(part).append("\n");
    }
    return yaml.toString();
  }

  @Test
  void sevenDeployStepsRunInOrderAndAFailureInTheFourthRollsBackToTheVersionBefore() throws Exception {
    String good = commit("chain", Map.of(".buildswarm.yml", sevenStepPipeline()));
    JsonNode first = awaitRun("chain", 1);
    assertThat(first.path("run").path("state").asText()).as("%s", first).isEqualTo("SUCCEEDED");
    assertThat(prod("chain").path("currentVersion").asText()).isEqualTo(good);

    String bad = commit("chain", Map.of("break-step-4", "this commit breaks the fourth deploy step\n"));
    JsonNode second = awaitRun("chain", 2);
    assertThat(second.path("run").path("state").asText()).isEqualTo("FAILED");
    assertThat(state(second, "step4")).isEqualTo("FAILED");
    for (int step = 5; step <= 7; step++) {
      assertThat(state(second, "step" + step)).isEqualTo("SKIPPED");
      assertThat(state(second, "rollback step" + step)).isEqualTo("SKIPPED");
    }
    List<String> secondRun = Files.readAllLines(target.resolve("chain.log")).subList(7, 15);
    assertThat(secondRun).containsExactly("deploy 1 " + bad, "deploy 2 " + bad, "deploy 3 " + bad, "deploy 4 " + bad,
        "undo 4 " + good, "undo 3 " + good, "undo 2 " + good, "undo 1 " + good);
    for (int step = 1; step <= 7; step++) {
      assertThat(Files.readString(target.resolve("chain-part" + step)).strip()).as("part %d", step).isEqualTo(good);
    }
    JsonNode prod = prod("chain");
    assertThat(prod.path("currentVersion").asText()).isEqualTo(good);
    assertThat(prod.path("history").get(0).path("state").asText()).isEqualTo("ROLLED_BACK");
    assertThat(prod.path("history").get(0).path("version").asText()).isEqualTo(bad);

    List<String> saga = new ArrayList<>();
    cluster.api.get("/api/v1/runs/" + second.path("run").path("id").asLong() + "/events").json().path("events")
        .forEach(event -> {
          if (event.path("type").asText().startsWith("deploy.")) {
            saga.add(event.path("type").asText());
          }
        });
    assertThat(saga).startsWith("deploy.started", "deploy.step_done", "deploy.step_done", "deploy.step_done",
        "deploy.step_failed").endsWith("deploy.rolled_back");
  }

  @Test
  void aProtectedDeploySurvivesANewerPushInItsConcurrencyGroupWhichDeploysAfterIt() throws Exception {
    Path release = target.resolve("guarded-release");
    String pipeline = """
        concurrency: {group: "deploy-${{ branch }}", cancel-in-progress: true}
        jobs:
          build:
            steps: ["echo built"]
          soak:
            steps: ['if [ "$(cat version)" = 1 ]; then sleep 300; fi']
          ship:
            needs: [build]
            deploy: true
            steps:
              - while [ ! -e %1$s ]; do sleep 0.2; done
              - echo "$BUILDSWARM_DEPLOY_VERSION" >> %2$s
        """.formatted(release, target.resolve("guarded.log"));
    String first = commit("guarded", Map.of(".buildswarm.yml", pipeline, "version", "1"));
    long older = awaitJob("guarded", 1, "ship", job -> job.path("state").asText().equals("RUNNING"))
        .path("runId").asLong();

    String second = commit("guarded", Map.of("version", "2"));
    long newer = awaitJob("guarded", 2, "ship", job -> job.path("state").asText().equals("QUEUED")
        && job.path("reason").asText().contains("waiting for run " + older)).path("runId").asLong();
    JsonNode olderRun = cluster.api.get("/api/v1/runs/" + older).json();
    assertThat(state(olderRun, "ship")).isEqualTo("RUNNING");

    Files.writeString(release, "go\n");
    JsonNode olderDone = cluster.api.awaitRun(older, TIMEOUT);
    assertThat(state(olderDone, "ship")).isEqualTo("SUCCEEDED");
    assertThat(state(olderDone, "soak")).as("the rest of the older run is cancelled").isEqualTo("CANCELLED");
    JsonNode newerDone = cluster.api.awaitRun(newer, TIMEOUT);
    assertThat(newerDone.path("run").path("state").asText()).as("%s", newerDone).isEqualTo("SUCCEEDED");
    assertThat(state(newerDone, "ship")).isEqualTo("SUCCEEDED");
    assertThat(Files.readAllLines(target.resolve("guarded.log"))).containsExactly(first, second);
    assertThat(prod("guarded").path("currentVersion").asText()).isEqualTo(second);
    assertThat(prod("guarded").path("previousVersion").asText()).isEqualTo(first);

    // Instant rollback from the UI: the pointer moves back, nothing runs.
    assertThat(Browser.available()).as("Debian's chromium and chromium-driver (./test.sh installs them)").isTrue();
    try (Browser browser = new Browser(work, Path.of("target", "ui-screenshots"))) {
      browser.driver.get(cluster.url + "#/");
      browser.driver.executeScript("window.localStorage.setItem(arguments[0], arguments[1]);", TOKEN_KEY,
          Files.readString(work.resolve("admin.token")).strip());
      browser.driver.get(cluster.url + "#/environments");
      browser.driver.navigate().refresh();
      By guarded = By.cssSelector("[data-environment='guarded/prod']");
      By current = By.cssSelector("[data-environment='guarded/prod'] .current-version");
      By previous = By.cssSelector("[data-environment='guarded/prod'] .previous-version");
      By rollBack = By.cssSelector("[data-environment='guarded/prod'] button[data-action=rollback-env]:not([data-version])");
      // The page redraws on live events: the wait looks elements up afresh, and retries what a redraw interrupted.
      var wait = browser.waitUpTo(TIMEOUT);
      wait.until(driver -> driver.findElement(current).getText().equals(second.substring(0, 12))
          && driver.findElement(previous).getText().equals(first.substring(0, 12)));
      wait.until(driver -> {
        WebElement button = driver.findElement(rollBack);
        if (!button.isEnabled()) {
          return false;
        }
        button.click();
        return true;
      });
      wait.until(driver -> driver.findElement(current).getText().equals(first.substring(0, 12)));
      assertThat(browser.driver.findElements(guarded)).hasSize(1);
      browser.screenshot("environments-after-rollback");
    }
    assertThat(prod("guarded").path("currentVersion").asText()).isEqualTo(first);
    assertThat(prod("guarded").path("history").get(0).path("state").asText()).isEqualTo("ACTIVATED");
    assertThat(Files.readAllLines(target.resolve("guarded.log"))).hasSize(2);
  }

  @Test
  void aDeployStepLostWithItsDroneIsHeldUntilAnOperatorDecidesAndNeverRunsTwiceAtOnce() throws Exception {
    Path release = target.resolve("held-release");
    Path log = target.resolve("held.log");
    String sha = commit("held", Map.of(".buildswarm.yml", """
        jobs:
          ship:
            deploy: true
            steps:
              - while [ ! -e %1$s ]; do sleep 0.2; done
              - echo "attempt $BUILDSWARM_ATTEMPT $BUILDSWARM_DEPLOY_VERSION" >> %2$s
        """.formatted(release, log)));
    JsonNode running = awaitJob("held", 1, "ship", job -> job.path("state").asText().equals("RUNNING"));
    assertThat(running.path("drone").asText()).isEqualTo("d1");
    cluster.startDrone("d2", 2, null, "127.0.0.1", UNSANDBOXED);

    firstDrone.kill(); // mid-deploy: the step may have done anything
    JsonNode held = awaitJob("held", 1, "ship", job -> job.path("state").asText().equals("HELD"));
    assertThat(held.path("reason").asText()).contains("not idempotent");
    JsonNode still = await("ship stays held, not run again by itself though d2 is free").during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10)).pollInterval(POLL)
        .until(() -> awaitJob("held", 1, "ship", job -> true), job -> job.path("state").asText().equals("HELD"));
    assertThat(still.path("attempt").asInt()).isEqualTo(1);
    firstDrone = cluster.startDrone("d1", 4, null, "127.0.0.1", UNSANDBOXED); // comes back without it: still held

    long run = held.path("runId").asLong();
    Api.Response refused = cluster.api.post("/api/v1/runs/" + run + "/jobs/" + held.path("id").asLong() + "/decide",
        Map.of("decision", "maybe"));
    assertThat(refused.status()).isEqualTo(409);
    Api.Response decided = cluster.api.post("/api/v1/runs/" + run + "/jobs/" + held.path("id").asLong() + "/decide",
        Map.of("decision", "retry"));
    assertThat(decided.status()).as(decided.text()).isEqualTo(200);
    awaitJob("held", 1, "ship", job -> job.path("state").asText().equals("RUNNING") && job.path("attempt").asInt() == 2);
    Files.writeString(release, "go\n");
    JsonNode done = cluster.api.awaitRun(run, TIMEOUT);
    assertThat(done.path("run").path("state").asText()).as("%s", done).isEqualTo("SUCCEEDED");
    assertThat(prod("held").path("currentVersion").asText()).isEqualTo(sha);
    await("the lost attempt never deployed").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
        .pollInterval(POLL).until(() -> Files.readAllLines(log), lines -> lines.equals(List.of("attempt 2 " + sha)));
  }

  @Test
  void aJobSetEmittedByAJobIsBuiltInItsDependencyOrderBeforeTheJobsAfterIt() throws Exception {
    Path log = target.resolve("emitter.log");
    String jobSet = """
        {"jobs": {
          "libc":  {"steps": ["echo libc >> %1$s"]},
          "zlib":  {"needs": ["libc"], "steps": ["echo zlib >> %1$s"]},
          "tools": {"needs": ["zlib"], "steps": ["echo tools >> %1$s"]}
        }}
        """.formatted(log);
    commit("emitter", Map.of("packages.json", jobSet, ".buildswarm.yml", """
        jobs:
          plan:
            steps: ["cp packages.json out.json"]
            jobset: out.json
          publish:
            needs: [plan]
            steps: ["echo publish >> %s"]
        """.formatted(log)));
    JsonNode run = awaitRun("emitter", 1);
    assertThat(run.path("run").path("state").asText()).as("%s", run).isEqualTo("SUCCEEDED");
    assertThat(run.path("jobs")).hasSize(5);
    assertThat(Files.readAllLines(log)).containsExactly("libc", "zlib", "tools", "publish");
  }

  /** Where the web UI keeps its API token (lib.js). */
  private static final String TOKEN_KEY = "buildswarm.token";

  private static String state(JsonNode detail, String job) {
    for (JsonNode each : detail.path("jobs")) {
      if (each.path("name").asText().equals(job)) {
        return each.path("state").asText();
      }
    }
    throw new AssertionError("no job " + job + " in " + detail);
  }

  private static JsonNode prod(String project) throws Exception {
    for (JsonNode environment : cluster.api.get("/api/v1/environments?project=" + project).json().path("environments")) {
      if (environment.path("name").asText().equals("prod")) {
        return environment;
      }
    }
    throw new AssertionError("no prod environment for " + project);
  }

  /** The project's run number {@code ordinal} (1 = its first), once it has finished. */
  private static JsonNode awaitRun(String project, int ordinal) throws Exception {
    JsonNode runs = await("run " + ordinal + " of " + project).atMost(TIMEOUT).pollInterval(POLL)
        .until(() -> cluster.api.get("/api/v1/runs?project=" + project).json().path("runs"),
            found -> found.size() >= ordinal);
    return cluster.api.awaitRun(runs.get(runs.size() - ordinal).path("id").asLong(), TIMEOUT);
  }

  /** Waits until job {@code name} of the project's run number {@code ordinal} is as described, and returns it. */
  private static JsonNode awaitJob(String project, int ordinal, String name, Predicate<JsonNode> condition) {
    return await("job " + name + " of run " + ordinal + " of " + project).atMost(TIMEOUT).pollInterval(POLL)
        .until(() -> {
          JsonNode runs = cluster.api.get("/api/v1/runs?project=" + project).json().path("runs");
          if (runs.size() < ordinal) {
            return java.util.Optional.<JsonNode>empty();
          }
          JsonNode run = cluster.api.get("/api/v1/runs/" + runs.get(runs.size() - ordinal).path("id").asLong()).json();
          for (JsonNode job : run.path("jobs")) {
            if (job.path("name").asText().equals(name) && condition.test(job)) {
              return java.util.Optional.of(job);
            }
          }
          return java.util.Optional.<JsonNode>empty();
        }, java.util.Optional::isPresent)
        .orElseThrow();
  }
}
