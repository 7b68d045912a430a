package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

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

  @TempDir
  static Path work;

  static Cluster cluster;
  static Git git;
  static Path repo;

  @BeforeAll
  static void start() throws Exception {
    repo = work.resolve("shop");
    git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call();
    Files.writeString(work.resolve("projects.yml"), """
        projects:
          shop:
            url: %s
            branches: [main]
            poll: 1s
        """.formatted(repo.toUri()));
    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore("--projects", work.resolve("projects.yml").toString());
    cluster.startDrone("d1", 2, null, "127.0.0.1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (git != null) {
      git.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    assertThat(Leftovers.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  private static String commit(String path, String content) throws Exception {
    Files.writeString(repo.resolve(path), content);
    git.add().addFilepattern(".").call();
    return git.commit().setMessage(path).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call().getName();
  }

  /** The project's runs, oldest first, once there are {@code count} finished ones. */
  private static List<JsonNode> awaitRuns(int count) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    List<JsonNode> runs = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      runs.clear();
      cluster.api.get("/api/v1/runs?project=shop").json().path("runs").forEach(runs::add);
      if (runs.size() >= count && runs.stream().allMatch(run -> run.path("finishedAt").isNumber())) {
        java.util.Collections.reverse(runs);
        return runs;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not " + count + " finished runs of shop within " + TIMEOUT + ": " + runs);
  }

  private static String log(JsonNode run) throws Exception {
    JsonNode detail = cluster.api.awaitRun(run.path("id").asLong(), TIMEOUT);
    return cluster.api.awaitLog(detail.path("jobs").get(0).path("id").asLong(), TIMEOUT);
  }

  @Test
  void eachNewCommitOnAFollowedBranchIsBuiltOnce() throws Exception {
    commit(".buildswarm.yml", """
        on:
          push:
            paths-ignore: ["*.md"]
        jobs:
          build:
            steps:
              - echo "building $(cat version.txt)"
        """);
    String first = commit("version.txt", "1.0");
    List<JsonNode> runs = awaitRuns(1);
    assertThat(runs.get(0).path("state").asText()).as("%s", runs.get(0)).isEqualTo("SUCCEEDED");
    assertThat(runs.get(0).path("trigger").asText()).isEqualTo("PUSH");
    assertThat(log(runs.get(0))).contains("building 1.0");

    commit("README.md", "only docs"); // filtered out by paths-ignore
    git.branchCreate().setName("experiment").call(); // not followed
    String second = commit("version.txt", "2.0");
    runs = awaitRuns(2);
    assertThat(log(runs.get(1))).contains("building 2.0");
    Thread.sleep(3_000); // a few more polls: nothing is started twice
    assertThat(cluster.api.get("/api/v1/runs?project=shop").json().path("runs").size()).isEqualTo(2);
    assertThat(first).isNotEqualTo(second);
  }
}
