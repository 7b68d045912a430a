package org.buildswarm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.UUID;
import org.buildswarm.protocol.auth.Credentials;

/**
 * What a benchmark's nodes authenticate with: the control plane's credentials and each drone's own
 * — or, for a build from before event-bus credentials, the shared join token it used instead.
 */
final class NodeCredentials {
  private final Path work;
  private final boolean joinToken;
  private final Credentials control = Credentials.newSwarm(new SecureRandom());

  /** @param home a distribution; whether it knows credentials is asked of its {@code swarm} */
  NodeCredentials(Path home, Path work) throws Exception {
    this.work = work;
    Process help = new ProcessBuilder(home.resolve("bin/swarm").toString(), "credentials", "--help")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    this.joinToken = help.waitFor() != 0;
    if (joinToken) {
      Files.writeString(work.resolve("join.token"), UUID.randomUUID() + "-" + UUID.randomUUID());
    } else {
      control.write(work.resolve("control.credentials"));
    }
  }

  /** The options of an orchestrator or a gateway. */
  List<String> control(boolean orchestrator) {
    if (joinToken) {
      return orchestrator ? List.of("--join-token-file", work.resolve("join.token").toString()) : List.of();
    }
    return List.of("--credentials", work.resolve("control.credentials").toString());
  }

  /** The options of the drone named. */
  List<String> drone(String name) throws IOException {
    if (joinToken) {
      return List.of("--join-token-file", work.resolve("join.token").toString(), "--name", name);
    }
    Path file = work.resolve("drone-" + name + ".credentials");
    control.forDrone(name).write(file);
    return List.of("--credentials", file.toString());
  }
}
