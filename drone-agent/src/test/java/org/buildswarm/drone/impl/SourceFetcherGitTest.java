package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.buildswarm.protocol.message.SourceSpec;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceFetcherGitTest {
  @TempDir
  Path work;

  @Test
  void checksOutTheRequestedRevisionThroughTheMirrorCache() throws Exception {
    Path repo = work.resolve("repo");
    RevCommit first;
    RevCommit second;
    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      Files.writeString(repo.resolve("version.txt"), "1");
      git.add().addFilepattern(".").call();
      first = git.commit().setMessage("one").setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
      Files.writeString(repo.resolve("version.txt"), "2");
      git.add().addFilepattern(".").call();
      second = git.commit().setMessage("two").setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
    }
    SourceFetcher fetcher = new SourceFetcher(work.resolve("mirrors"), Set.of());
    Path one = work.resolve("ws1");
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), first.getName()), one);
    assertThat(Files.readString(one.resolve("version.txt"))).isEqualTo("1");
    Path two = work.resolve("ws2");
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), second.getName()), two);
    assertThat(Files.readString(two.resolve("version.txt"))).isEqualTo("2");
    try (var mirrors = Files.list(work.resolve("mirrors"))) {
      assertThat(mirrors.count()).as("one mirror per repository").isEqualTo(1);
    }
    // A commit made after the mirror was: the mirror fetches it.
    String third = commit(repo, "3");
    Path three = work.resolve("ws3");
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), third), three);
    assertThat(Files.readString(three.resolve("content.txt"))).isEqualTo("3");
  }

  @Test
  void aCommitsTreeReadFromTheMirrorGivesTheKeyItsCheckoutWillHave() throws Exception {
    Path repo = work.resolve("repo");
    commit(repo, "first");
    Files.createDirectories(repo.resolve("src/lib"));
    Files.writeString(repo.resolve("src/lib/a.c"), "int a;\n");
    Files.writeString(repo.resolve("src/README.md"), "docs\n");
    Files.writeString(repo.resolve("build.sh"), "#!/bin/sh\nmake\n");
    Files.setPosixFilePermissions(repo.resolve("build.sh"), java.nio.file.attribute.PosixFilePermissions.fromString(
        "rwxr-xr-x"));
    Files.createSymbolicLink(repo.resolve("src/current"), Path.of("lib/a.c"));
    git(repo, "add", ".");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "inputs");
    String head = git(repo, "rev-parse", "HEAD");
    org.buildswarm.protocol.message.JobCacheSpec spec = new org.buildswarm.protocol.message.JobCacheSpec("def",
        List.of("src/", "!src/**/*.md", "build.sh"), List.of("CC"), List.of("out/"), List.of(), true);
    SourceFetcher fetcher = new SourceFetcher(work.resolve("mirrors"), Set.of());
    SourceSpec source = new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), head);
    List<JobResultCache.Input> inputs = fetcher.gitInputs(source, null, JobResultCache.selector(spec.inputs()));
    assertThat(inputs).extracting(JobResultCache.Input::path)
        .containsExactlyInAnyOrder("src/lib/a.c", "src/current", "build.sh");
    assertThat(inputs).filteredOn(input -> input.path().equals("build.sh")).extracting(JobResultCache.Input::executable)
        .containsExactly(true);
    Path workspace = work.resolve("ws");
    fetcher.fetch(source, null, workspace, false);
    java.util.Map<String, String> env = java.util.Map.of("CC", "gcc");
    assertThat(JobResultCache.key(spec, env, inputs)).isEqualTo(JobResultCache.key(spec, workspace, env));
    String older = git(repo, "rev-parse", "HEAD~1");
    assertThat(JobResultCache.key(spec, env, fetcher.gitInputs(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(),
        older), null, JobResultCache.selector(spec.inputs())))).as("another commit's inputs").isNotEqualTo(
        JobResultCache.key(spec, env, inputs));
  }

  @Test
  void aWorkspaceSharesTheMirrorsObjectsByHardLinksAndIsAWholeRepositoryForGit() throws Exception {
    Path repo = work.resolve("repo");
    commit(repo, "first");
    String head = commit(repo, "second");
    try (Git git = Git.open(repo.toFile())) {
      git.tag().setName("v1").call();
      git.branchCreate().setName("feature").call();
    }
    SourceFetcher fetcher = new SourceFetcher(work.resolve("mirrors"), Set.of());
    Path linked = work.resolve("linked");
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), head), null, linked, true);
    Path copied = work.resolve("copied");
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), head), null, copied, false);

    Path mirrorPacks = fetcher.mirrorFor(repo.toUri().toString()).resolve("objects/pack");
    List<Path> packs;
    try (var listing = Files.list(mirrorPacks)) {
      packs = listing.filter(file -> file.toString().endsWith(".pack")).toList();
    }
    assertThat(packs).isNotEmpty();
    for (Path pack : packs) {
      Object inode = Files.getAttribute(pack, "unix:ino");
      assertThat(Files.getAttribute(linked.resolve(".git/objects/pack").resolve(pack.getFileName()), "unix:ino"))
          .as("shared, not copied").isEqualTo(inode);
      assertThat(Files.getAttribute(copied.resolve(".git/objects/pack").resolve(pack.getFileName()), "unix:ino"))
          .as("copied when the job could write it").isNotEqualTo(inode);
    }
    for (Path workspace : List.of(linked, copied)) {
      assertThat(Files.readString(workspace.resolve("content.txt"))).isEqualTo("second");
      // Real git, as a job's step would run it, finds everything where a clone puts it.
      assertThat(git(workspace, "rev-parse", "HEAD")).isEqualTo(head);
      assertThat(git(workspace, "status", "--porcelain")).as("a clean work tree").isEmpty();
      assertThat(git(workspace, "rev-parse", "--abbrev-ref", "HEAD")).isEqualTo("main");
      assertThat(git(workspace, "branch", "-r")).contains("origin/main", "origin/feature");
      assertThat(git(workspace, "tag")).isEqualTo("v1");
      assertThat(git(workspace, "remote", "get-url", "origin")).isEqualTo(repo.toUri().toString());
      assertThat(git(workspace, "log", "--format=%s")).isEqualTo("second\nfirst");
      assertThat(git(workspace, "fsck", "--no-progress")).doesNotContain("missing", "error");
    }
  }

  @Test
  void manyJobsOfOneCommitCheckItOutAtOnce() throws Exception {
    Path repo = work.resolve("repo");
    String head = commit(repo, "shared");
    SourceFetcher fetcher = new SourceFetcher(work.resolve("mirrors"), Set.of());
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<String>> checkouts = new java.util.ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Path workspace = work.resolve("ws-" + i);
        boolean link = i % 2 == 0;
        checkouts.add(pool.submit(() -> {
          fetcher.fetch(new SourceSpec(SourceSpec.GIT, repo.toUri().toString(), head), null, workspace, link);
          return Files.readString(workspace.resolve("content.txt"));
        }));
      }
      for (var checkout : checkouts) {
        assertThat(checkout.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("shared");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static String git(Path directory, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("git", "-C", directory.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
    return output;
  }

  private static String commit(Path repo, String content) throws Exception {
    try (Git git = Files.isDirectory(repo.resolve(".git")) ? Git.open(repo.toFile())
        : Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      Files.writeString(repo.resolve("content.txt"), content);
      git.add().addFilepattern(".").call();
      return git.commit().setMessage(content).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call()
          .getName();
    }
  }

  @Test
  void theMirrorCacheStaysUnderItsLimitByDroppingTheLeastRecentlyUsedMirror() throws Exception {
    Path a = work.resolve("a");
    Path b = work.resolve("b");
    Path c = work.resolve("c");
    String revA = commit(a, "a".repeat(200_000));
    String revB = commit(b, "b".repeat(200_000));
    String revC = commit(c, "c".repeat(200_000));
    Path mirrors = work.resolve("mirrors");
    // Room for about two mirrors of these repositories.
    SourceFetcher probe = new SourceFetcher(mirrors, Set.of(), 0);
    probe.fetch(new SourceSpec(SourceSpec.GIT, a.toUri().toString(), revA), work.resolve("probe"));
    long one = Trees.size(mirrors);
    Trees.delete(mirrors);
    SourceFetcher fetcher = new SourceFetcher(mirrors, Set.of(), one * 2 + one / 2);

    fetcher.fetch(new SourceSpec(SourceSpec.GIT, a.toUri().toString(), revA), work.resolve("ws-a"));
    Thread.sleep(20);
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, b.toUri().toString(), revB), work.resolve("ws-b"));
    Thread.sleep(20);
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, a.toUri().toString(), revA), work.resolve("ws-a2")); // a is fresh again
    Thread.sleep(20);
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, c.toUri().toString(), revC), work.resolve("ws-c"));

    try (var listing = Files.list(mirrors)) {
      assertThat(listing.count()).as("one mirror dropped").isEqualTo(2);
    }
    assertThat(fetcher.mirrorFor(b.toUri().toString())).as("the least recently used").doesNotExist();
    assertThat(fetcher.mirrorFor(a.toUri().toString())).exists();
    assertThat(Trees.size(mirrors)).isLessThanOrEqualTo(one * 2 + one / 2);
    // b was the least recently used: fetching it again clones it anew and still works.
    fetcher.fetch(new SourceSpec(SourceSpec.GIT, b.toUri().toString(), revB), work.resolve("ws-b2"));
    assertThat(Files.readString(work.resolve("ws-b2/content.txt"))).startsWith("bbb");
    assertThat(Files.readString(work.resolve("ws-c/content.txt"))).startsWith("ccc");
  }
}
