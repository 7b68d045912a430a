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
}
