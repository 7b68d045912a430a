package org.buildswarm.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.buildswarm.deploy.impl.StateDirectory;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Option;

/** How a command finds the swarm: options, then the environment, then the swarm `swarm up` started here. */
final class Connection {
  @Option(names = "--url", description = "Gateway URL (default: $BUILDSWARM_URL, else the swarm started by "
      + "`swarm up` in this directory or a parent).")
  String url;

  @Option(names = "--token", description = "API token (default: $BUILDSWARM_TOKEN, else that swarm's admin token).")
  String token;

  /** @param near another directory to look for a running swarm from, after the current one */
  SwarmClient client(Path near) throws IOException {
    String baseUrl = url != null ? url : System.getenv("BUILDSWARM_URL");
    String apiToken = token != null ? token : System.getenv("BUILDSWARM_TOKEN");
    if (baseUrl == null || apiToken == null) {
      Optional<StateDirectory> local = StateDirectory.findFrom(Path.of(""))
          .or(() -> near == null ? Optional.empty() : StateDirectory.findFrom(near))
          // A `swarm up --data DIR` started elsewhere noted where its state is.
          .or(() -> StateDirectory.pointedAt(StateDirectory.pointerFile(System.getenv())));
      if (local.isEmpty()) {
        if (baseUrl != null) {
          return new SwarmClient(baseUrl, apiToken);
        }
        throw new IOException("no running swarm found: start one with `swarm up`, or give --url and --token"
            + " (or BUILDSWARM_URL and BUILDSWARM_TOKEN)");
      }
      if (baseUrl == null) {
        baseUrl = local.get().endpoint().orElseThrow(() -> new IOException("cannot read " + local.get().root()
            .resolve(StateDirectory.ENDPOINT_FILE))).url();
      }
      if (apiToken == null) {
        Path tokenFile = local.get().resolve(StateDirectory.ADMIN_TOKEN_FILE);
        apiToken = Files.isReadable(tokenFile) ? Files.readString(tokenFile).trim() : null;
      }
    }
    return new SwarmClient(baseUrl, apiToken);
  }

  /** What to do about a refused token (401), for people. */
  static String tokenHint() {
    return "the swarm refused the token: give one with --token or BUILDSWARM_TOKEN (an admin makes one with "
        + "`swarm token create NAME --role developer`); the admin token of a `swarm up` is in its state directory, "
        + StateDirectory.DEFAULT_NAME + "/" + StateDirectory.ADMIN_TOKEN_FILE + " (or DIR/" + StateDirectory.ADMIN_TOKEN_FILE
        + " with --data DIR)";
  }
}
