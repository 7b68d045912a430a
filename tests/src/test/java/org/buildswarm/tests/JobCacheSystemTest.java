package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs cached by their inputs, on {@code swarm up} as a process: a pipeline run twice runs nothing
 * the second time and its artifacts are the first run's outputs; a changed input runs exactly that
 * job and what needs it; a forced run, a damaged entry and a missing one run the jobs normally.
 * The tests follow one another: each run is judged against the cache the earlier ones left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobCacheSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String PIPELINE = """
      jobs:
        lib:
          cache: {inputs: [lib/], outputs: [out/]}
          steps:
            - mkdir -p out && { cat lib/a.c; echo "lib built in run $BUILDSWARM_RUN_ID"; } > out/lib.txt
          artifacts: [{path: out/lib.txt, name: lib}]
        app:
          needs: lib
          cache: {inputs: [app/, "!app/**/*.md"], outputs: [out/app.txt]}
          steps:
            - mkdir -p out && { cat app/main.c; echo "app built in run $BUILDSWARM_RUN_ID"; } > out/app.txt
          artifacts: [{path: out/app.txt, name: app}]
        docs:
          steps: [echo docs always run]
      """;

  @TempDir
  static Path work;

  static SwarmProcess swarm;
  static String url;
  static Api admin;
  static Path source;
  /** The first run of the pipeline, whose results the later ones reuse. */
  static long firstRun;

  @BeforeAll
  static void startSwarm() throws Exception {
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--cores", "2", "--no-host-guard");
    url = swarm.awaitUrl(Duration.ofSeconds(120)).replaceFirst("/$", "");
    admin = new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
    source = Files.createDirectories(work.resolve("source"));
    Files.createDirectories(source.resolve("lib"));
    Files.createDirectories(source.resolve("app"));
    Files.writeString(source.resolve("lib/a.c"), "lib v1\n");
    Files.writeString(source.resolve("app/main.c"), "app v1\n");
    Files.writeString(source.resolve("app/README.md"), "not an input\n");
  }

  @AfterAll
  static void stopSwarm() {
    if (swarm != null) {
      swarm.close();
    }
  }

  /** A finished run: each job's state, the run it was cached from (0 when it ran) and its log. */
  record Finished(long id, Map<String, JsonNode> jobs, Map<String, String> logs) {
    long cachedFrom(String job) {
      JsonNode cache = jobs.get(job).path("cache");
      return cache.path("fromRun").isNumber() ? cache.path("fromRun").asLong() : 0;
    }
  }

  private static Finished run(Map<String, Object> extra) throws Exception {
    Map<String, Object> body = new HashMap<>(Api.submission("shop", PIPELINE, source.toString()));
    body.putAll(extra);
    Api.Response created = admin.post("/api/v1/runs", body);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    return finished(created.json().path("id").asLong());
  }

  private static Finished finished(long id) throws Exception {
    JsonNode detail = admin.awaitRun(id, TIMEOUT);
    Map<String, JsonNode> jobs = new HashMap<>();
    Map<String, String> logs = new HashMap<>();
    for (JsonNode job : detail.path("jobs")) {
      jobs.put(job.path("name").asText(), job);
      logs.put(job.path("name").asText(), admin.awaitLog(job.path("id").asLong(), TIMEOUT));
    }
    assertThat(detail.path("run").path("state").asText()).as("%s", logs).isEqualTo("SUCCEEDED");
    return new Finished(id, jobs, logs);
  }

  private static String artifact(String name, long run) throws Exception {
    Api.Response content = admin.get("/api/v1/artifacts/shop/" + name + "/versions/" + run + ".1/content");
    assertThat(content.status()).as(content.text()).isEqualTo(200);
    return content.text();
  }

  @Test
  @Order(1)
  void aSecondRunOfTheSamePipelineRunsNothingAndRestoresTheOutputs() throws Exception {
    Finished first = run(Map.of());
    firstRun = first.id();
    assertThat(first.cachedFrom("lib")).isZero();
    assertThat(first.cachedFrom("app")).isZero();
    assertThat(first.logs().get("lib")).contains("cache: stored the result under key");
    assertThat(first.jobs().get("lib").path("cache").path("stored").asBoolean()).isTrue();
    assertThat(first.jobs().get("docs").path("cache").isNull() || first.jobs().get("docs").path("cache").isMissingNode())
        .isTrue();

    Finished second = run(Map.of());
    assertThat(second.cachedFrom("lib")).isEqualTo(first.id());
    assertThat(second.cachedFrom("app")).isEqualTo(first.id());
    assertThat(second.jobs().get("app").path("reason").asText()).isEqualTo("cached from run " + first.id());
    assertThat(second.jobs().get("app").path("cache").path("key").asText())
        .isEqualTo(first.jobs().get("app").path("cache").path("key").asText());
    for (String job : List.of("lib", "app")) {
      assertThat(second.logs().get(job)).contains("the steps do not run").doesNotContain("==> [1/1]");
    }
    assertThat(second.logs().get("docs")).contains("docs always run");
    // What the second run publishes is what the first one made: restored, not rebuilt.
    assertThat(artifact("lib", second.id())).isEqualTo("lib v1\nlib built in run " + first.id() + "\n");
    assertThat(artifact("app", second.id())).isEqualTo("app v1\napp built in run " + first.id() + "\n");

    // The run page says so, in the jobs' table and in the graph.
    assertThat(Browser.available()).as("Debian's chromium and chromium-driver (./test.sh installs them)").isTrue();
    try (Browser browser = new Browser(work, Path.of("target", "ui-screenshots"))) {
      browser.driver.get(url + "/#/runs/" + second.id());
      browser.waitUpTo(TIMEOUT).until(org.openqa.selenium.support.ui.ExpectedConditions.textToBePresentInElementLocated(
          org.openqa.selenium.By.cssSelector("table.jobs"), "cached from run " + first.id()));
      assertThat(browser.texts(org.openqa.selenium.By.cssSelector("table.jobs .cached-mark"))).hasSize(2);
      assertThat(browser.texts(org.openqa.selenium.By.cssSelector("svg.job-graph g.node.cached"))).hasSize(2);
      assertThat(browser.texts(org.openqa.selenium.By.cssSelector("svg.job-graph g.node.cached .cores")))
          .containsOnly("cached");
      browser.screenshot("job-cache-run-page");
    }

    // A file the inputs leave out changes nothing.
    Files.writeString(source.resolve("app/README.md"), "still not an input\n");
    Finished third = run(Map.of());
    assertThat(third.cachedFrom("app")).isEqualTo(first.id());
  }

  @Test
  @Order(2)
  void aChangedInputRunsExactlyThatJobAndWhatNeedsIt() throws Exception {
    Files.writeString(source.resolve("app/main.c"), "app v2\n");
    Finished appChanged = run(Map.of());
    assertThat(appChanged.cachedFrom("lib")).isEqualTo(firstRun);
    assertThat(appChanged.cachedFrom("app")).isZero();
    assertThat(artifact("app", appChanged.id())).isEqualTo("app v2\napp built in run " + appChanged.id() + "\n");

    Files.writeString(source.resolve("lib/a.c"), "lib v2\n");
    Finished libChanged = run(Map.of());
    assertThat(libChanged.cachedFrom("lib")).as("its input changed").isZero();
    assertThat(libChanged.cachedFrom("app")).as("what it needs changed").isZero();
    assertThat(artifact("app", libChanged.id())).isEqualTo("app v2\napp built in run " + libChanged.id() + "\n");
  }

  @Test
  @Order(3)
  void aForcedRunRunsEveryJob() throws Exception {
    Finished forced = run(Map.of("cache", false));
    assertThat(forced.cachedFrom("lib")).isZero();
    assertThat(forced.cachedFrom("app")).isZero();
    assertThat(forced.logs().get("lib")).contains("this run ignores the cache");
    // ... and refreshes what the cache holds.
    Finished after = run(Map.of());
    assertThat(after.cachedFrom("lib")).isEqualTo(forced.id());
    assertThat(after.cachedFrom("app")).isEqualTo(forced.id());

    // From the run page, signed in as someone who may start runs.
    try (Browser browser = new Browser(work, Path.of("target", "ui-screenshots"))) {
      browser.driver.get(url + "/#/");
      browser.driver.executeScript("window.localStorage.setItem(arguments[0], arguments[1]);", "buildswarm.token",
          Files.readString(work.resolve(".buildswarm/admin.token")).strip());
      browser.driver.get(url + "/#/runs/" + after.id());
      browser.driver.navigate().refresh();
      org.openqa.selenium.By forcedRerun = org.openqa.selenium.By.cssSelector("button[data-no-cache]:not([disabled])");
      browser.waitUpTo(TIMEOUT).until(org.openqa.selenium.support.ui.ExpectedConditions.presenceOfElementLocated(
          forcedRerun));
      assertThat(browser.text(forcedRerun)).isEqualTo("Re-run ignoring the cache");
      browser.click(forcedRerun);
      browser.waitUpTo(TIMEOUT).until(driver -> !driver.getCurrentUrl().endsWith("#/runs/" + after.id())
          && driver.getCurrentUrl().matches(".*#/runs/\\d+$"));
      long fromPage = Long.parseLong(browser.driver.getCurrentUrl().replaceAll(".*#/runs/", ""));
      Finished forcedFromPage = finished(fromPage);
      assertThat(forcedFromPage.cachedFrom("lib")).isZero();
      assertThat(forcedFromPage.cachedFrom("app")).isZero();
    }
  }

  @Test
  @Order(4)
  void aDamagedEntryOrAMissingOneMeansANormalRun() throws Exception {
    Finished before = run(Map.of());
    long madeBy = before.cachedFrom("lib");
    assertThat(madeBy).isPositive();
    // Damage lib's stored bytes (same size: only the content hash can tell) and lose app's.
    Path libBlob = blobOf(before.jobs().get("lib").path("cache").path("key").asText());
    byte[] bytes = Files.readAllBytes(libBlob);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(libBlob, bytes);
    Path appEntry = entryOf(before.jobs().get("app").path("cache").path("key").asText());
    Files.delete(appEntry);

    Finished after = run(Map.of());
    assertThat(after.cachedFrom("lib")).as("damaged: it runs").isZero();
    assertThat(after.logs().get("lib")).contains("is damaged").contains("==> [1/1]");
    assertThat(after.cachedFrom("app")).as("missing: it runs").isZero();
    assertThat(after.logs().get("app")).contains("no result for key");
    assertThat(artifact("lib", after.id())).isEqualTo("lib v2\nlib built in run " + after.id() + "\n");
  }

  @Test
  @Order(5)
  void aGitRevisionIsKeyedFromTheMirrorSoAHitChecksNothingOut() throws Exception {
    Path repo = Files.createDirectories(work.resolve("repo"));
    Files.createDirectories(repo.resolve("lib"));
    Files.createDirectories(repo.resolve("app"));
    Files.writeString(repo.resolve("lib/a.c"), "lib in git\n");
    Files.writeString(repo.resolve("app/main.c"), "app in git\n");
    Map<String, String> gitEnvironment = Map.of("GIT_AUTHOR_NAME", "t", "GIT_AUTHOR_EMAIL", "t@example.org",
        "GIT_COMMITTER_NAME", "t", "GIT_COMMITTER_EMAIL", "t@example.org", "HOME", work.toString());
    for (List<String> git : List.of(List.of("git", "init", "-q", "-b", "main"), List.of("git", "add", "."),
        List.of("git", "commit", "-q", "-m", "sources"))) {
      SwarmProcess.Finished done = ExternalCommand.run(repo, gitEnvironment, TIMEOUT, git);
      assertThat(done.exitCode()).as("%s", done).isZero();
    }
    String head = ExternalCommand.run(repo, gitEnvironment, TIMEOUT, List.of("git", "rev-parse", "HEAD")).stdout().strip();
    Map<String, Object> fromGit = Map.of("project", "shop-git", "source",
        Map.of("kind", "git", "location", repo.toUri().toString(), "revision", head));
    Finished first = run(fromGit);
    assertThat(first.cachedFrom("lib")).isZero();
    assertThat(first.logs().get("lib")).contains("from the commit's tree").contains("no result for key");
    Finished second = run(fromGit);
    assertThat(second.cachedFrom("lib")).isEqualTo(first.id());
    assertThat(second.cachedFrom("app")).isEqualTo(first.id());
    assertThat(second.logs().get("app")).contains("from the commit's tree").contains("the steps do not run");
    assertThat(second.jobs().get("app").path("cache").path("key").asText())
        .as("the key from the tree is the key the checkout had").isEqualTo(
            first.jobs().get("app").path("cache").path("key").asText());
    Api.Response content = admin.get("/api/v1/artifacts/shop-git/app/versions/" + second.id() + ".1/content");
    assertThat(content.text()).isEqualTo("app in git\napp built in run " + first.id() + "\n");
  }

  private static Path entryOf(String key) throws Exception {
    try (Stream<Path> files = Files.walk(work.resolve(".buildswarm"))) {
      return files.filter(file -> file.getFileName().toString().equals(key + ".json")
          && file.toString().contains("/cache/jobs/")).findFirst().orElseThrow(() ->
          new AssertionError("no entry file for key " + key));
    }
  }

  private static Path blobOf(String key) throws Exception {
    JsonNode entry = org.buildswarm.protocol.ProtocolJson.mapper().readTree(Files.readString(entryOf(key)));
    String sha = entry.path("sha256").asText();
    try (Stream<Path> files = Files.walk(work.resolve(".buildswarm"))) {
      return files.filter(file -> file.getFileName().toString().equals(sha)).findFirst()
          .orElseThrow(() -> new AssertionError("no blob " + sha));
    }
  }
}
