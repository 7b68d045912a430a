package org.buildswarm.protocol.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.buildswarm.protocol.pipeline.Triggers;
import org.junit.jupiter.api.Test;

class GlobTest {
  private static List<Glob> globs(String... patterns) {
    return java.util.Arrays.stream(patterns).map(Glob::of).toList();
  }

  @Test
  void starStaysInASegmentDoubleStarCrossesThemAndTheLastMatchDecides() {
    assertThat(Glob.anyMatches(globs("release/*"), "release/1.4")).isTrue();
    assertThat(Glob.anyMatches(globs("release/*"), "release/1.4/hotfix")).isFalse();
    assertThat(Glob.anyMatches(globs("release/**"), "release/1.4/hotfix")).isTrue();
    assertThat(Glob.anyMatches(globs("src/**/*.java"), "src/Main.java")).isTrue();
    assertThat(Glob.anyMatches(globs("src/**/*.java"), "src/a/b/Main.java")).isTrue();
    assertThat(Glob.anyMatches(globs("v?.*"), "v1.2")).isTrue();
    assertThat(Glob.anyMatches(globs("feature/*", "!feature/wip-*"), "feature/wip-x")).isFalse();
    assertThat(Glob.anyMatches(globs("feature/*", "!feature/wip-*"), "feature/login")).isTrue();
    assertThat(Glob.anyMatches(globs("a.b"), "axb")).as("dots are literal").isFalse();
  }

  @Test
  void pushFiltersDecideByRefAndChangedFiles() {
    Triggers.Push push = new Triggers.Push(globs("main", "release/*"), List.of(), globs("src/**"), globs("src/**/*.md"));
    assertThat(push.matches("refs/heads/main", List.of("src/Main.java"))).isTrue();
    assertThat(push.matches("refs/heads/dev", List.of("src/Main.java"))).isFalse();
    assertThat(push.matches("refs/heads/main", List.of("docs/guide.md"))).as("no path under src").isFalse();
    assertThat(push.matches("refs/heads/main", List.of("src/README.md"))).as("only ignored paths").isFalse();
    assertThat(push.matches("refs/heads/main", null)).as("changes unknown: run").isTrue();
    assertThat(push.matches("refs/tags/v1", List.of("src/Main.java"))).as("branches only: no tags").isFalse();
    Triggers.Push tagsOnly = new Triggers.Push(List.of(), globs("v*"), List.of(), List.of());
    assertThat(tagsOnly.matches("refs/tags/v2.0", null)).isTrue();
    assertThat(tagsOnly.matches("refs/heads/main", null)).as("tags only: no branch pushes").isFalse();
    assertThat(Triggers.Push.EVERYTHING.matches("refs/heads/anything", List.of())).isTrue();
  }
}
