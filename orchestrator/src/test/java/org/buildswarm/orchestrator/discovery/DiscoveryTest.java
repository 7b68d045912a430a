package org.buildswarm.orchestrator.discovery;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.impl.H2Stores;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.trigger.Glob;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Polling a real Git repository (made here with JGit) that receives commits, branches and tags. */
@ExtendWith(VertxExtension.class)
class DiscoveryTest {
  private static final String PIPELINE = """
      on:
        push:
          paths-ignore: ["docs/**"]
          tags: ["v*"]
          branches: ["main", "release/*"]
      jobs:
        build: {steps: [make]}
      """;

  @TempDir
  Path work;

  private Vertx vertx;
  private Store store;
  private Git git;
  private Path repo;
  private final List<SubmitRun> submitted = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
    store = H2Stores.inDirectory(vertx, work.resolve("state"));
    await(store.start());
    vertx.eventBus().<SubmitRun>consumer(Addresses.RUN_SUBMIT, message -> {
      submitted.add(message.body());
      message.reply(SubmitResult.created(submitted.size()));
    });
    repo = work.resolve("shop");
    git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call();
  }

  @AfterEach
  void stop() throws Exception {
    git.close();
    await(store.close());
  }

  private String commit(String path, String content) throws Exception {
    Path file = repo.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    git.add().addFilepattern(".").call();
    return git.commit().setMessage("change " + path).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org")
        .call().getName();
  }

  private DiscoveryVerticle deploy() throws Exception {
    Project project = new Project("shop", repo.toUri().toString(), List.of(Glob.of("main"), Glob.of("release/*")),
        3_600_000, ".buildswarm.yml", null);
    DiscoveryVerticle discovery = new DiscoveryVerticle(List.of(project), store, work.resolve("mirrors"),
        PipelineLimits.defaults());
    await(vertx.deployVerticle(discovery));
    return discovery;
  }

  private void pollOnce(DiscoveryVerticle discovery) throws Exception {
    Project project = new Project("shop", repo.toUri().toString(), List.of(Glob.of("main"), Glob.of("release/*")),
        3_600_000, ".buildswarm.yml", null);
    await(discovery.pollNow(project));
  }

  @Test
  void newCommitsStartRunsWhenTheFiltersSayAndNeverTwice() throws Exception {
    commit(".buildswarm.yml", PIPELINE);
    String first = commit("src/a.c", "int a;");
    git.tag().setName("v0.9").call(); // history when the project is first seen: no run
    DiscoveryVerticle discovery = deploy();
    pollOnce(discovery);
    assertThat(submitted).hasSize(1);
    assertThat(submitted.get(0).source().revision()).isEqualTo(first);
    assertThat(submitted.get(0).source().location()).isEqualTo(repo.toUri().toString());
    // The run says which commit it is, as people know it.
    assertThat(submitted.get(0).source().commit())
        .isEqualTo(new org.buildswarm.protocol.message.SourceSpec.Commit(first, "change src/a.c", "t <t@example.org>"));
    assertThat(submitted.get(0).trigger()).isEqualTo(Trigger.PUSH);
    assertThat(submitted.get(0).pipelineYaml()).isEqualTo(PIPELINE);

    commit("docs/guide.md", "how to"); // only ignored paths
    pollOnce(discovery);
    assertThat(submitted).as("a docs-only push starts nothing").hasSize(1);

    String third = commit("src/b.c", "int b;");
    git.branchCreate().setName("feature/x").call(); // not followed
    git.branchCreate().setName("release/2").call(); // followed, new
    pollOnce(discovery);
    assertThat(submitted).extracting(run -> run.source().revision()).containsExactlyInAnyOrder(first, third, third);
    assertThat(submitted).extracting(SubmitRun::requestedBy)
        .contains("push to refs/heads/main", "push to refs/heads/release/2");

    git.tag().setName("v1.0").call();
    pollOnce(discovery);
    assertThat(submitted.get(submitted.size() - 1).requestedBy()).isEqualTo("push to refs/tags/v1.0");
    int runs = submitted.size();

    // A restarted orchestrator remembers what it saw.
    await(vertx.undeploy(vertx.deploymentIDs().iterator().next()));
    pollOnce(deploy());
    assertThat(submitted).as("nothing new, nothing started").hasSize(runs);
  }

  @Test
  void schedulesStartRunsOfTheMainBranchOnceWhenDueWithoutMakingUpForMissedOnes() throws Exception {
    commit(".buildswarm.yml", """
        on:
          schedule:
            - cron: "*/5 * * * *"
        jobs:
          nightly: {steps: [make]}
        """);
    String head = commit("src/a.c", "int a;");
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(
        java.time.Instant.parse("2026-11-23T10:01:00Z").toEpochMilli());
    Project project = new Project("shop", repo.toUri().toString(), List.of(Glob.of("main")), 3_600_000,
        ".buildswarm.yml", null);
    DiscoveryVerticle discovery = new DiscoveryVerticle(List.of(project), store, work.resolve("mirrors"),
        PipelineLimits.defaults(), now::get, 3_600_000);
    await(vertx.deployVerticle(discovery));
    await(discovery.pollNow(project));
    assertThat(submitted).as("only schedules start it: no push run").isEmpty();

    await(discovery.checkSchedulesNow(project));
    assertThat(submitted).as("a schedule seen first counts from now").isEmpty();
    now.addAndGet(3 * 60_000); // 10:04
    await(discovery.checkSchedulesNow(project));
    assertThat(submitted).isEmpty();
    now.addAndGet(2 * 60_000); // 10:06: 10:05 was due
    await(discovery.checkSchedulesNow(project));
    assertThat(submitted).hasSize(1);
    assertThat(submitted.get(0).trigger()).isEqualTo(Trigger.CRON);
    assertThat(submitted.get(0).source().revision()).isEqualTo(head);
    assertThat(submitted.get(0).source().commit().title()).as("a scheduled run's commit too").isEqualTo("change src/a.c");
    assertThat(submitted.get(0).requestedBy()).isEqualTo("schedule */5 * * * * on refs/heads/main");
    await(discovery.checkSchedulesNow(project));
    assertThat(submitted).as("not twice for one firing").hasSize(1);
    now.addAndGet(60 * 60_000); // an hour later: eleven firings missed
    await(discovery.checkSchedulesNow(project));
    assertThat(submitted).as("one run, not eleven").hasSize(2);
  }

  @Test
  void aProjectsFileWithMistakesNamesThemWithLineAndColumn() throws Exception {
    Path file = work.resolve("projects.yml");
    Files.writeString(file, """
        projects:
          shop:
            url: https://git.example.org/shop.git
            branches: [main]
            poll: 30s
          tools:
            poll: often
            branch: [main]
        """);
    assertThatThrownBy(() -> Projects.read(file)).isInstanceOf(Projects.Invalid.class)
        .hasMessageContaining(file + ":6:3: project \"tools\" needs a \"url\"")
        .hasMessageContaining(file + ":7:5: \"poll\" must be a duration")
        .hasMessageContaining(file + ":8:5: unknown field \"branch\"");
    Files.writeString(file, """
        projects:
          shop:
            url: https://git.example.org/shop.git
            branches: [main, "release/*"]
            poll: 30s
        """);
    Project shop = Projects.read(file).get(0);
    assertThat(shop.pollMs()).isEqualTo(30_000);
    assertThat(shop.branches()).extracting(Glob::pattern).containsExactly("main", "release/*");
    assertThat(shop.file()).isEqualTo(".buildswarm.yml");
  }

  @Test
  void forgeNotifyAndCredentialsAreReadWithTheirSecretsFromFilesAndTheirMistakesNamed() throws Exception {
    Path file = work.resolve("projects.yml");
    Files.writeString(work.resolve("gh.token"), "ghp_secret\n");
    Files.writeString(work.resolve("git.token"), "glpat-secret\n");
    Files.writeString(work.resolve("notify.secret"), "0123456789abcdef-notify\n");
    Files.writeString(file, """
        projects:
          shop:
            url: https://github.com/acme/shop.git
            forge: {kind: github, token-file: gh.token, per-job: true}
            notify: {url: https://chat.example.org/hook, secret-file: notify.secret}
            credentials: {username: ci, token-file: git.token}
        """);
    Project shop = Projects.read(file).get(0);
    assertThat(shop.forge().kind()).isEqualTo(Forge.Kind.GITHUB);
    assertThat(shop.forge().apiUrl()).isEqualTo(Forge.DEFAULT_GITHUB_API);
    assertThat(shop.forge().repository()).isEqualTo("acme/shop");
    assertThat(shop.forge().token()).isEqualTo("ghp_secret");
    assertThat(shop.forge().perJob()).isTrue();
    assertThat(shop.notifier().secret()).isEqualTo("0123456789abcdef-notify");
    assertThat(shop.credentials().username()).isEqualTo("ci");
    assertThat(shop.credentials().password()).isEqualTo("glpat-secret");
    assertThat(shop + " " + shop.forge() + " " + shop.notifier() + " " + shop.credentials())
        .as("what a log would show").doesNotContain("ghp_secret", "glpat-secret", "notify");

    Files.writeString(file, """
        projects:
          shop:
            url: git@git.example.org:acme/shop.git
            forge: {kind: gitlab, token-file: gh.token}
            credentials: {token-file: git.token}
          tools:
            url: https://git.example.org/acme/tools.git
            forge: {kind: gitea, token-file: gh.token}
            notify: {url: chat, secret-file: missing.secret}
            credentials: {ssh-key-file: gh.token, known-hosts-file: gh.token, colour: blue}
        """);
    assertThatThrownBy(() -> Projects.read(file)).isInstanceOf(Projects.Invalid.class)
        .hasMessageContaining(file + ":4:13: \"forge.kind\" is github or gitea")
        .hasMessageContaining(file + ":5:5: an ssh URL needs \"ssh-key-file\" and \"known-hosts-file\"")
        .hasMessageContaining(file + ":8:5: a gitea forge needs \"api\"")
        .hasMessageContaining(file + ":9:14: \"notify.url\" is an http(s) URL")
        .hasMessageContaining(file + ":10:71: unknown field \"colour\"")
        .hasMessageContaining("an SSH key is for ssh:// and user@host:path URLs");
  }
}
