package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work discovery with real processes: an orchestrator told to watch a Git repository (made here
 * with JGit) starts a run for each new commit on a followed branch; a drone checks the commit out
 * from its own mirror and builds it.
 */
class DiscoverySystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final Duration POLL = Duration.ofMillis(200);

  @TempDir
  static Path work;

  static Cluster cluster;
  static Git git;
  static Path repo;
  static Git hookedGit;
  static Path hooked;
  static final String SECRET = "webhook-secret-" + java.util.UUID.randomUUID();
  static final String NOTIFY_SECRET = "notify-secret-" + java.util.UUID.randomUUID();
  static ForgeRecorder forge;
  static Path reported;
  static Git reportedGit;

  @BeforeAll
  static void start() throws Exception {
    repo = work.resolve("shop");
    git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call();
    hooked = work.resolve("hooked");
    hookedGit = Git.init().setDirectory(hooked.toFile()).setInitialBranch("main").call();
    // Its path ends in owner/name, as a forge's repositories do: the statuses go to acme/shop.
    reported = work.resolve("acme").resolve("reported");
    reportedGit = Git.init().setDirectory(reported.toFile()).setInitialBranch("main").call();
    Files.writeString(work.resolve("hooked.secret"), SECRET + "\n");
    Files.writeString(work.resolve("github.token"), "ghp_test_token\n");
    Files.writeString(work.resolve("gitea.token"), "gitea-test-token\n");
    Files.writeString(work.resolve("notify.secret"), NOTIFY_SECRET + "\n");
    forge = new ForgeRecorder();
    forge.failFirst("/github/", 2); // GitHub is away at first: the statuses arrive all the same
    Files.writeString(work.resolve("projects.yml"), """
        projects:
          shop:
            url: %s
            branches: [main]
            poll: 1s
          hooked:
            url: %s
            poll: 1h
            webhook-secret-file: hooked.secret
          reported:
            url: %s
            poll: 1s
            forge: {kind: github, api: %s/github, token-file: github.token}
            notify: {url: %s/notify, secret-file: notify.secret}
          reported-gitea:
            url: %s
            branches: [failing]
            poll: 1s
            forge: {kind: gitea, api: %s/gitea/api/v1, repository: acme/mirror, token-file: gitea.token,
                    context: ci, per-job: true, web-url: "https://ci.example.org/"}
          broken:
            url: %s
            poll: 1s
        """.formatted(repo.toUri(), hooked.toUri(), reported.toUri(), forge.url(), forge.url(), reported.toUri(),
            forge.url(), work.resolve("no-such-repository").toUri()));
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore("--projects", work.resolve("projects.yml").toString());
    cluster.startDrone("d1", 2, null, "127.0.0.1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (git != null) {
      git.close();
    }
    if (hookedGit != null) {
      hookedGit.close();
    }
    if (reportedGit != null) {
      reportedGit.close();
    }
    if (forge != null) {
      forge.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  private static String commit(String path, String content) throws Exception {
    Files.writeString(repo.resolve(path), content);
    git.add().addFilepattern(".").call();
    return git.commit().setMessage(path).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call().getName();
  }

  /** The project's runs, oldest first, once there are {@code count} finished ones. */
  private static List<JsonNode> awaitRuns(int count) {
    List<JsonNode> runs = await(count + " finished runs of shop").atMost(TIMEOUT).pollInterval(POLL)
        .until(() -> runsOf("shop"),
            found -> found.size() >= count && found.stream().allMatch(run -> run.path("finishedAt").isNumber()));
    java.util.Collections.reverse(runs);
    return runs;
  }

  /** The project of that name in the projects API's list, or null. */
  private static JsonNode named(JsonNode projects, String name) {
    for (JsonNode project : projects) {
      if (project.path("name").asText().equals(name)) {
        return project;
      }
    }
    return null;
  }

  /** A project's runs, newest first. */
  private static List<JsonNode> runsOf(String project) throws Exception {
    List<JsonNode> runs = new ArrayList<>();
    cluster.api.get("/api/v1/runs?project=" + project).json().path("runs").forEach(runs::add);
    return runs;
  }

  private static String log(JsonNode run) throws Exception {
    JsonNode detail = cluster.api.awaitRun(run.path("id").asLong(), TIMEOUT);
    return cluster.api.awaitLog(detail.path("jobs").get(0).path("id").asLong(), TIMEOUT);
  }

  @Test
  void eachNewCommitOnAFollowedBranchIsBuiltOnce() throws Exception {
    // One commit with both: a poll between two commits would (rightly) build the first without it.
    Files.writeString(repo.resolve("version.txt"), "1.0");
    String first = commit(".buildswarm.yml", """
        on:
          push:
            paths-ignore: ["*.md"]
        jobs:
          build:
            steps:
              - echo "building $(cat version.txt)"
        """);
    List<JsonNode> runs = awaitRuns(1);
    assertThat(runs.get(0).path("state").asText()).as("%s", runs.get(0)).isEqualTo("SUCCEEDED");
    assertThat(runs.get(0).path("trigger").asText()).isEqualTo("PUSH");
    assertThat(log(runs.get(0))).contains("building 1.0");

    commit("README.md", "only docs"); // filtered out by paths-ignore
    git.branchCreate().setName("experiment").call(); // not followed
    String second = commit("version.txt", "2.0");
    runs = awaitRuns(2);
    assertThat(log(runs.get(1))).contains("building 2.0");
    // A few more polls: nothing is started twice.
    await("no third run of shop").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).pollInterval(POLL)
        .until(() -> runsOf("shop").size(), size -> size == 2);
    assertThat(first).isNotEqualTo(second);
  }

  private static String commitIn(Git repository, Path directory, String message, String pipeline) throws Exception {
    Files.writeString(directory.resolve(".buildswarm.yml"), pipeline);
    repository.add().addFilepattern(".").call();
    return repository.commit().setMessage(message + "\n\nwith a body").setAuthor("Ann", "ann@example.org")
        .setCommitter("Ann", "ann@example.org").call().getName();
  }

  private static JsonNode awaitFinishedRun(String project, String sha) {
    return await("a finished run of " + project + " at " + sha).atMost(TIMEOUT).pollInterval(POLL)
        .until(() -> runsOf(project).stream()
            .filter(run -> sha.equals(run.path("source").path("revision").asText()) && run.path("finishedAt").isNumber())
            .findFirst(), java.util.Optional::isPresent)
        .orElseThrow();
  }

  @Test
  void runsShowTheirCommitAndReportToTheForgeAndAFailingPollShowsOnTheProject() throws Exception {
    String passing = commitIn(reportedGit, reported, "Add the build", """
        name: ci
        jobs:
          build:
            steps: ["echo passing build"]
          ship:
            needs: [build]
            deploy: true
            steps: ["echo deployed $BUILDSWARM_DEPLOY_VERSION"]
        """);
    JsonNode run = awaitFinishedRun("reported", passing);
    assertThat(run.path("state").asText()).isEqualTo("SUCCEEDED");
    JsonNode source = run.path("source");
    assertThat(source.path("ref").asText()).isEqualTo("refs/heads/main");
    assertThat(source.path("commit").path("title").asText()).isEqualTo("Add the build");
    assertThat(source.path("commit").path("author").asText()).isEqualTo("Ann <ann@example.org>");
    assertThat(cluster.api.get("/api/v1/runs?project=reported&branch=main&state=succeeded").json().path("runs"))
        .extracting(node -> node.path("id").asLong()).contains(run.path("id").asLong());
    assertThat(cluster.api.get("/api/v1/runs?project=reported&branch=elsewhere").json().path("runs")).isEmpty();

    // GitHub: pending, then success, with a link to the run page; the first two tries met a 500.
    String statuses = "/github/repos/acme/reported/statuses/" + passing;
    ForgeRecorder.Request success = forge.await(request -> request.path().equals(statuses)
        && request.json().path("state").asText().equals("success"), TIMEOUT);
    assertThat(success.headers().get("authorization")).isEqualTo("Bearer ghp_test_token");
    assertThat(success.json().path("context").asText()).isEqualTo("buildswarm/ci");
    assertThat(success.json().path("target_url").asText()).endsWith("#/runs/" + run.path("id").asLong())
        .startsWith("http://");
    List<String> sequence = forge.received(request -> request.path().equals(statuses)).stream()
        .map(request -> request.json().path("state").asText()).toList();
    assertThat(sequence).as("statuses of %s", passing).endsWith("success").doesNotContain("failure", "error");
    // The notification: signed, about this run.
    ForgeRecorder.Request notified = forge.await(request -> request.path().equals("/notify")
        && request.json().path("event").asText().equals("run.succeeded"), TIMEOUT);
    assertThat(notified.json().path("run").asLong()).isEqualTo(run.path("id").asLong());
    assertThat(notified.headers().get("x-buildswarm-event")).isEqualTo("run.succeeded");
    assertThat(notified.headers().get("x-buildswarm-signature-256")).isEqualTo(sign(notified.body(), NOTIFY_SECRET));
    assertThat(notified.json().path("source").path("revision").asText()).isEqualTo(passing);
    ForgeRecorder.Request deployed = forge.await(request -> request.path().equals("/notify")
        && request.json().path("event").asText().equals("deploy.succeeded"), TIMEOUT);
    assertThat(deployed.json().path("run").asLong()).isEqualTo(run.path("id").asLong());
    assertThat(deployed.headers().get("x-buildswarm-signature-256")).isEqualTo(sign(deployed.body(), NOTIFY_SECRET));

    // Gitea, per job, with a web address of its own: a failing run.
    reportedGit.checkout().setCreateBranch(true).setName("failing").call();
    String failing = commitIn(reportedGit, reported, "Break the build",
        "name: ci\njobs:\n  build:\n    steps: [\"echo failing build; exit 3\"]\n");
    JsonNode failed = awaitFinishedRun("reported-gitea", failing);
    assertThat(failed.path("state").asText()).isEqualTo("FAILED");
    String giteaStatuses = "/gitea/api/v1/repos/acme/mirror/statuses/" + failing;
    ForgeRecorder.Request failure = forge.await(request -> request.path().equals(giteaStatuses)
        && request.json().path("context").asText().equals("ci/ci")
        && request.json().path("state").asText().equals("failure"), TIMEOUT);
    assertThat(failure.headers().get("authorization")).isEqualTo("token gitea-test-token");
    assertThat(failure.json().path("target_url").asText()).isEqualTo("https://ci.example.org/#/runs/" + failed.path("id").asLong());
    forge.await(request -> request.path().equals(giteaStatuses) && request.json().path("context").asText().equals("ci/ci/build")
        && request.json().path("state").asText().equals("failure"), TIMEOUT);
    List<String> giteaSequence = forge.received(request -> request.path().equals(giteaStatuses)
        && request.json().path("context").asText().equals("ci/ci")).stream()
        .map(request -> request.json().path("state").asText()).toList();
    assertThat(giteaSequence).as("the run's statuses, in order").endsWith("failure").containsOnly("pending", "failure");

    // The projects API: a project whose poll fails says why; one that works says what it saw.
    JsonNode projects = await("a poll of project broken").atMost(TIMEOUT).pollInterval(POLL)
        .until(() -> cluster.api.get("/api/v1/projects").json().path("projects"),
            found -> named(found, "broken") != null && named(found, "broken").path("lastPollOk").isBoolean());
    JsonNode broken = named(projects, "broken");
    assertThat(broken.path("lastPollOk").asBoolean()).isFalse();
    assertThat(broken.path("lastError").asText()).isNotBlank();
    assertThat(broken.path("failingSince").isNumber()).isTrue();
    JsonNode healthy = named(projects, "reported");
    assertThat(healthy).as("%s", projects).isNotNull();
    assertThat(healthy.path("lastPollOk").asBoolean()).isTrue();
    assertThat(healthy.hasNonNull("lastError")).as("%s", healthy).isFalse();
    assertThat(healthy.path("forge").asText()).isEqualTo("github acme/reported");
    assertThat(healthy.path("lastCommit").asText()).startsWith("refs/heads/");
    assertThat(cluster.api.get("/metrics").text())
        .contains("buildswarm_project_polls_total{project=\"broken\",result=\"failed\"")
        .contains("buildswarm_project_reports_total{project=\"reported\",result=\"delivered\"")
        .contains("buildswarm_project_reports_total{project=\"reported\",result=\"failed\"");
    // No token anywhere a person can read.
    assertThat(cluster.api.get("/api/v1/projects").text()).doesNotContain("ghp_test_token", "gitea-test-token");
  }

  private static java.net.http.HttpResponse<String> hook(String event, String delivery, String body, String signature)
      throws Exception {
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(cluster.url).resolve("/hooks/github"))
        .header("content-type", "application/json").header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (signature != null) {
      request.header("x-hub-signature-256", signature);
    }
    return java.net.http.HttpClient.newHttpClient().send(request.build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  private static String sign(String body, String secret) throws Exception {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(), "HmacSHA256"));
    return "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body.getBytes()));
  }

  @Test
  void aSignedWebhookStartsTheRunATamperedOrReplayedOneStartsNothing() throws Exception {
    Files.writeString(hooked.resolve(".buildswarm.yml"), "jobs:\n  build:\n    steps: [\"echo hooked build\"]\n");
    hookedGit.add().addFilepattern(".").call();
    String sha = hookedGit.commit().setMessage("first").setAuthor("t", "t@example.org")
        .setCommitter("t", "t@example.org").call().getName();
    String body = """
        {"ref": "refs/heads/main", "after": "%s", "deleted": false,
         "repository": {"clone_url": "%s"}}""".formatted(sha, hooked.toUri());

    var unsigned = hook("push", "d-1", body, null);
    assertThat(unsigned.statusCode()).as("unsigned").isEqualTo(401);
    assertThat(unsigned.body()).contains("not signed");
    var malformed = hook("push", "d-7", "{\"ref\": ", sign("{\"ref\": ", SECRET));
    assertThat(malformed.statusCode()).as("signed, but not JSON: %s", malformed.body()).isEqualTo(400);
    String elsewhere = body.replace(hooked.toUri().toString(), "https://git.example.org/nobody/watches.git");
    var unknown = hook("push", "d-8", elsewhere, sign(elsewhere, SECRET));
    assertThat(unknown.statusCode()).as("a repository nobody watches: %s", unknown.body()).isEqualTo(404);
    assertThat(unknown.body()).contains("no watched project");
    assertThat(hook("push", "d-1", body, sign(body, "not the secret")).statusCode()).as("wrong secret").isEqualTo(401);
    assertThat(hook("push", "d-1", body.replace("main", "mainx"), sign(body, SECRET)).statusCode())
        .as("tampered body").isEqualTo(401);
    var huge = hook("push", "d-9", "{\"pad\": \"" + "x".repeat(3 * 1024 * 1024) + "\"}", sign(body, SECRET));
    assertThat(huge.statusCode()).isEqualTo(413);

    var accepted = hook("push", "d-1", body, sign(body, SECRET));
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    List<JsonNode> runs = await("the hooked run, finished").atMost(TIMEOUT).pollInterval(POLL)
        .until(() -> runsOf("hooked"), found -> found.size() == 1 && found.get(0).path("finishedAt").isNumber());
    assertThat(log(runs.get(0))).contains("hooked build");

    var replay = hook("push", "d-1", body, sign(body, SECRET));
    assertThat(replay.statusCode()).isEqualTo(200);
    assertThat(replay.body()).contains("\"duplicate\"");
    String deletion = """
        {"ref": "refs/heads/old", "after": "0000000000000000000000000000000000000000", "deleted": true,
         "repository": {"clone_url": "%s"}}""".formatted(hooked.toUri());
    var deleted = hook("push", "d-2", deletion, sign(deletion, SECRET));
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(deleted.body()).contains("\"ignored\"");
    await("no run for a replayed or deleted ref").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
        .pollInterval(POLL).until(() -> runsOf("hooked").size(), size -> size == 1);

    String metrics = cluster.api.get("/metrics").text();
    assertThat(metrics)
        .contains("buildswarm_webhook_deliveries_total{result=\"unauthorized\",role=\"gateway\",source=\"github\"} 3.0")
        .contains("buildswarm_webhook_deliveries_total{result=\"bad_request\",role=\"gateway\",source=\"github\"} 1.0")
        .contains("buildswarm_webhook_deliveries_total{result=\"unknown_project\",role=\"gateway\",source=\"github\"} 1.0")
        .contains("buildswarm_webhook_deliveries_total{result=\"too_large\",role=\"gateway\",source=\"github\"} 1.0")
        .contains("buildswarm_webhook_deliveries_total{result=\"polling\",role=\"gateway\",source=\"github\"} 1.0")
        .contains("buildswarm_webhook_deliveries_total{result=\"duplicate\",role=\"gateway\",source=\"github\"} 1.0")
        .contains("buildswarm_webhook_deliveries_total{result=\"ignored\",role=\"gateway\",source=\"github\"} 1.0");
  }
}
