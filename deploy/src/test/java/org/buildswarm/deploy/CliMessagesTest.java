package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Exit statuses and messages of the CLI where the user, not the swarm, got something wrong. */
class CliMessagesTest {
  @Test
  void usageErrorsAreBadInputNotAnUnreachableSwarm() {
    for (String[] args : new String[][] {{"frobnicate"}, {}, {"logs", "abc"}, {"run", "--no-such-option"}}) {
      Cli.Outcome outcome = Cli.swarm(args);
      assertThat(outcome.status()).as("swarm %s: %s", String.join(" ", args), outcome.err())
          .isEqualTo(SwarmCli.BAD_INPUT);
      assertThat(outcome.err()).isNotBlank();
    }
  }

  @Test
  void everyCommandsHelpIsPlainText() {
    // A '%' not written as '%%' in a description makes picocli warn on stderr and print the raw text.
    java.util.List<String[]> helps = new java.util.ArrayList<>();
    helps.add(new String[] {"--help"});
    SwarmCli.commandLine().getSubcommands().keySet().forEach(name -> helps.add(new String[] {name, "--help"}));
    SwarmCli.commandLine().getSubcommands().forEach((name, command) -> command.getSubcommands().keySet()
        .forEach(sub -> helps.add(new String[] {name, sub, "--help"})));
    for (String[] args : helps) {
      Cli.Outcome outcome = Cli.swarm(args);
      assertThat(outcome.status()).as("swarm %s", String.join(" ", args)).isZero();
      assertThat(outcome.err()).as("swarm %s", String.join(" ", args)).doesNotContain("WARN", "%n");
      assertThat(outcome.out()).as("swarm %s", String.join(" ", args)).contains("Usage:").doesNotContain("null");
    }
  }

  @Test
  void bashAndZshCompletionComeFromTheCommandItself() {
    Cli.Outcome outcome = Cli.swarm("generate-completion");
    assertThat(outcome.status()).as(outcome.err()).isZero();
    assertThat(outcome.out()).contains("complete -F", "lint", "logs", "--reads-need-token");
  }

  @Test
  void aSwarmThatIsNotThereIsSaidInWordsNotNull() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Cli.Outcome outcome = Cli.swarm("status", "--url", "http://127.0.0.1:" + closed, "--token", "t");
    assertThat(outcome.status()).isEqualTo(SwarmCli.UNAVAILABLE);
    assertThat(outcome.err()).contains("cannot reach the swarm at http://127.0.0.1:" + closed, "connection refused")
        .doesNotContain("null");
  }
}
