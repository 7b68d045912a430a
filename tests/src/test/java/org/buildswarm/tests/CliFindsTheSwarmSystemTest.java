package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A swarm whose state is elsewhere ({@code swarm up --data DIR}) is found by commands run from any
 * directory; a refused token says where the admin token is.
 */
class CliFindsTheSwarmSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path work;

  private SwarmProcess.Finished swarm(Path directory, Map<String, String> env, String name, String... args)
      throws Exception {
    try (SwarmProcess process = SwarmProcess.start(directory, name, env, args)) {
      assertThat(process.process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("swarm %s", String.join(" ", args))
          .isTrue();
      return new SwarmProcess.Finished(process.process.exitValue(), process.stdout(), process.stderr());
    }
  }

  @Test
  void aSwarmStartedWithItsStateElsewhereIsFoundFromAnywhereAndARefusedTokenSaysWhereTheAdminTokenIs()
      throws Exception {
    Path started = Files.createDirectories(work.resolve("started-here"));
    Path elsewhere = Files.createDirectories(work.resolve("somewhere-else"));
    Path state = work.resolve("state");
    Map<String, String> env = Map.of("XDG_STATE_HOME", work.resolve("xdg").toString());
    Path pointer = work.resolve("xdg/buildswarm/swarm");
    // The tests need the drone to take work whatever else this host is doing.
    try (SwarmProcess up = SwarmProcess.start(started, "up", env, "up", "--port", "0", "--no-host-guard",
        "--data", state.toString())) {
      up.awaitUrl(TIMEOUT);
      assertThat(Files.readString(pointer).trim()).isEqualTo(state.toString());
      SwarmProcess.Finished status = swarm(elsewhere, env, "status", "status");
      assertThat(status.exitCode()).as("%s", status).isZero();
      assertThat(status.stdout()).contains("orchestrator", "drones");

      SwarmProcess.Finished refused = swarm(elsewhere, env, "refused", "token", "list", "--token", "not-a-token");
      assertThat(refused.exitCode()).as("%s", refused).isEqualTo(2);
      assertThat(refused.stderr()).contains("refused the token", "--token", "BUILDSWARM_TOKEN", "admin.token");
      assertThat(up.terminate(Duration.ofSeconds(60))).isTrue();
    }
    assertThat(pointer).as("a stopped swarm takes its note away").doesNotExist();
    SwarmProcess.Finished gone = swarm(elsewhere, env, "gone", "status");
    assertThat(gone.exitCode()).isEqualTo(3);
    assertThat(gone.stderr()).contains("no running swarm found");
  }
}
