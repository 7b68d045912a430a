package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code swarm lint}: a pipeline checked without a swarm, every problem at once. */
class LintCommandTest {
  @TempDir
  Path work;

  @Test
  void aFileWithSeveralProblemsGetsThemAllWithLineAndColumn() throws Exception {
    Path file = Files.writeString(work.resolve(".buildswarm.yml"), """
        jobs:
          build:
            cores: 0
            steps: [make]
          test:
            needs: [biuld]
            steps: [make test]
        """);
    Cli.Outcome outcome = Cli.swarm("lint", work.toString());
    assertThat(outcome.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(outcome.out())
        .contains(file + ":3:12: job \"build\": \"cores\" must be at least 1, not 0")
        .contains(file + ":6:13: job \"test\" needs \"biuld\", which is not a job in this pipeline (did you mean \"build\"?)");
    assertThat(outcome.err()).contains("2 problem(s)");
  }

  @Test
  void aGoodFilePassesAndAMissingOneIsBadInput() throws Exception {
    Path file = Files.writeString(work.resolve("ci.yml"), "jobs:\n  build: {steps: [make]}\n  test: {needs: build, steps: [make test]}\n");
    Cli.Outcome good = Cli.swarm("lint", file.toString());
    assertThat(good.status()).as(good.err()).isZero();
    assertThat(good.out()).contains("no problems (2 job(s))");
    assertThat(Cli.swarm("lint", work.resolve("nothing.yml").toString()).status()).isEqualTo(SwarmCli.BAD_INPUT);
  }

  @Test
  void aFileThatIsNotUtf8SaysWhereInsteadOfAStackTrace() throws Exception {
    Path file = work.resolve(".buildswarm.yml");
    Files.write(file, "jobs:\n  build:\n    steps: [\"echo caf\u00e9\"]\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    Cli.Outcome outcome = Cli.swarm("lint", file.toString());
    assertThat(outcome.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(outcome.out()).contains(file + ":3:22: not UTF-8 text (byte 0xe9)");
  }

  @Test
  void namesWithBidiZeroWidthOrControlCharactersAreProblemsShownEscaped() throws Exception {
    // A right-to-left override in the file itself, as a name copied from elsewhere brings it.
    Path file = Files.writeString(work.resolve(".buildswarm.yml"), """
        name: "invoice\u202Etxt.exe"
        jobs:
          "bu\\u200Bild":
            steps: [make]
          test:
            matrix:
              locale: [fr_FR.\u00e9t\u00e9, "\u65e5\u672c", "ar\\u061C"]
            steps:
              - name: "unit\\ttests"
                run: make test
        """);
    Cli.Outcome outcome = Cli.swarm("lint", work.toString());
    assertThat(outcome.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(outcome.out())
        .contains(file + ":1:7: pipeline name \"invoice\\u{202E}txt.exe\" holds U+202E, a bidi control")
        .contains(file + ":3:3: job name \"bu\\u{200B}ild\" holds U+200B, a zero-width character")
        .contains(file + ":7:33: job \"test\": matrix value \"ar\\u{061C}\" holds U+061C, a bidi control")
        .contains(file + ":9:15: job \"test\", step 1: step name \"unit\\u{0009}tests\" holds U+0009, a control character")
        .doesNotContain("\u202E", "\u200B", "\u061C", "\t")
        .doesNotContain("\u00e9t\u00e9\"", "\u65e5\u672c\" holds");
    assertThat(outcome.err()).contains("4 problem(s)");
  }

  @Test
  void lintSchemaPrintsThePipelineJsonSchema() throws Exception {
    Cli.Outcome outcome = Cli.swarm("lint", "--schema");
    assertThat(outcome.status()).as(outcome.err()).isZero();
    assertThat(outcome.out()).isEqualTo(org.buildswarm.protocol.pipeline.PipelineSchema.text());
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(outcome.out()).path("$schema").asText())
        .isEqualTo("http://json-schema.org/draft-07/schema#");
  }
}
