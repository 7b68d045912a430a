package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm env list|rollback}: what each environment runs, and instant rollback. */
@Command(name = "env", mixinStandardHelpOptions = true,
    description = "Deploy environments: what each runs now and before, their history, instant rollback.",
    subcommands = {EnvironmentCommand.List.class, EnvironmentCommand.Rollback.class})
final class EnvironmentCommand {
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Each environment's current and previous versions, a deploy under way, and recent history.")
  static final class List extends ApiCommand {
    @Option(names = "--project", description = "Only this project's environments.")
    String project;

    @Option(names = "--history", defaultValue = "5", description = "History entries per environment (default: ${DEFAULT-VALUE}).")
    int history;

    @Override
    String name() {
      return "env list";
    }

    @Override
    int run(SwarmClient client) throws IOException, InterruptedException {
      String query = "?history=" + history
          + (project == null ? "" : "&project=" + URLEncoder.encode(project, StandardCharsets.UTF_8));
      JsonNode environments = client.get("/api/v1/environments" + query).path("environments");
      if (environments.isEmpty()) {
        System.out.println("no environment has been deployed to yet");
      }
      for (JsonNode environment : environments) {
        System.out.printf("%s/%s  current %s%s  previous %s%s%s%n", environment.path("project").asText(),
            environment.path("name").asText(), text(environment, "currentVersion"), run(environment, "currentRun"),
            text(environment, "previousVersion"), run(environment, "previousRun"),
            environment.path("deployingRun").isNumber()
                ? "  (run " + environment.path("deployingRun").asLong() + " is deploying)" : "");
        for (JsonNode entry : environment.path("history")) {
          System.out.printf("    %s  %-15s %s run %d%s%n", Instant.ofEpochMilli(entry.path("startedAt").asLong()),
              entry.path("state").asText(), entry.path("version").asText(), entry.path("runId").asLong(),
              entry.path("requestedBy").isTextual() ? " by " + entry.path("requestedBy").asText() : "");
        }
      }
      return SwarmCli.OK;
    }

    private static String text(JsonNode node, String field) {
      return node.path(field).isTextual() ? node.path(field).asText() : "-";
    }

    private static String run(JsonNode node, String field) {
      return node.path(field).isNumber() ? " (run " + node.path(field).asLong() + ")" : "";
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Point an environment back at its previous version, or at a version it ran before. Nothing is"
          + " rebuilt or re-run: the pointer moves at once. Refused while a deploy to it is in progress.")
  static final class Rollback extends ApiCommand {
    @Parameters(index = "0", description = "The project.")
    String project;

    @Parameters(index = "1", description = "The environment (e.g. prod).")
    String environment;

    @Option(names = "--to", description = "The version to go back to (default: the previous one).")
    String version;

    @Override
    String name() {
      return "env rollback";
    }

    @Override
    int run(SwarmClient client) throws IOException, InterruptedException {
      Map<String, Object> body = new HashMap<>();
      if (version != null) {
        body.put("version", version);
      }
      JsonNode environments = client.post("/api/v1/environments/" + URLEncoder.encode(project, StandardCharsets.UTF_8)
          + "/" + URLEncoder.encode(environment, StandardCharsets.UTF_8) + "/rollback", body).path("environments");
      for (JsonNode entry : environments) {
        if (entry.path("name").asText().equals(environment)) {
          System.out.println(project + "/" + environment + " now runs " + entry.path("currentVersion").asText()
              + " (before: " + entry.path("previousVersion").asText() + ")");
        }
      }
      return SwarmCli.OK;
    }
  }
}
