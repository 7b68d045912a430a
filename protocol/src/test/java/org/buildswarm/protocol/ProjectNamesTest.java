package org.buildswarm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProjectNamesTest {
  @Test
  void namesAreLettersDigitsAndDotUnderscoreDashInPartsSeparatedBySingleSlashes() {
    for (String good : List.of("shop", "team/app", "a.b_c-d", "A1", "x".repeat(ProjectNames.MAX_LENGTH))) {
      assertThat(ProjectNames.problem(good)).as(good).isNull();
    }
    for (String bad : List.of("", "../../etc", "$(touch x)", "{a=1}", "a//b", "/abs", "trailing/", "dot.", "a/../b",
        ".hidden", "sp ace", "tab\there", "x".repeat(ProjectNames.MAX_LENGTH + 1), "ünï")) {
      assertThat(ProjectNames.problem(bad)).as(bad).isNotNull();
    }
    assertThat(ProjectNames.problem("x".repeat(300))).contains("at most 100 characters (this one has 300)");
    assertThat(ProjectNames.problem("a\u0000b")).doesNotContain("\u0000");
  }

  @Test
  void anyDirectoryNameBecomesAValidProjectName() {
    for (String directory : List.of("My Project", "..", "-x-", "ünï code", "a.", "", "x".repeat(300))) {
      assertThat(ProjectNames.problem(ProjectNames.from(directory))).as(directory).isNull();
    }
    assertThat(ProjectNames.from("My Project")).isEqualTo("My-Project");
  }
}
