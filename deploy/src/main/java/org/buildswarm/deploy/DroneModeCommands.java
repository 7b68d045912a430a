package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code swarm drain|pause|resume DRONE}: what a drone may take, set by an operator (admin token). */
final class DroneModeCommands {
  private DroneModeCommands() {}

  abstract static class ModeCommand extends ApiCommand {
    @Parameters(index = "0", description = "The drone's name (see `swarm status`).")
    String drone;

    @Override
    int run(SwarmClient client) throws IOException, InterruptedException {
      JsonNode view = client.post("/api/v1/drones/" + java.net.URLEncoder.encode(drone, java.nio.charset.StandardCharsets.UTF_8)
          + "/" + name(), null);
      System.out.println("drone " + view.path("name").asText() + " is " + view.path("state").asText() + " ("
          + view.path("busyCores").asInt() + " of " + view.path("cores").asInt() + " cores busy)");
      return SwarmCli.OK;
    }
  }

  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Let the drone finish what it runs and give it nothing new (e.g. before maintenance).")
  static final class Drain extends ModeCommand {
    @Override
    String name() {
      return "drain";
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Give the drone nothing new until resumed; what it runs finishes.")
  static final class Pause extends ModeCommand {
    @Override
    String name() {
      return "pause";
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Let a drained or paused drone take work again.")
  static final class Resume extends ModeCommand {
    @Override
    String name() {
      return "resume";
    }
  }
}
