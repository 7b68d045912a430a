package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
  }
}
