package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm token create|list|revoke}: API tokens for people and machines (admin token). */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Manage API tokens: roles viewer < developer (trigger, cancel) < admin (drones, tokens).",
    subcommands = {TokenCommand.Create.class, TokenCommand.List.class, TokenCommand.Revoke.class})
final class TokenCommand {
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a token and print it once (only its hash is kept).")
  static final class Create extends ApiCommand {
    @Parameters(index = "0", description = "A name for the token: who or what uses it (e.g. alice, ci-bot).")
    String tokenName;

    @Option(names = "--role", defaultValue = "developer",
        description = "viewer, developer or admin (default: ${DEFAULT-VALUE}).")
    String role;

    @Override
    String name() {
      return "token create";
    }

    @Override
    int run(SwarmClient client) throws IOException, InterruptedException {
      JsonNode created = client.post("/api/v1/tokens", Map.of("name", tokenName, "role", role));
      System.err.println("created " + created.path("role").asText() + " token \"" + created.path("name").asText()
          + "\"; it is shown only now:");
      System.out.println(created.path("token").asText());
      return SwarmCli.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens: names, roles, creation times.")
  static final class List extends ApiCommand {
    @Override
    String name() {
      return "token list";
    }

    @Override
    int run(SwarmClient client) throws IOException, InterruptedException {
      for (JsonNode token : client.get("/api/v1/tokens").path("tokens")) {
        System.out.printf("%-32s %-10s %s%n", token.path("name").asText(), token.path("role").asText().toLowerCase(),
            Instant.ofEpochMilli(token.path("createdAt").asLong()));
      }
      return SwarmCli.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a token: every gateway refuses it from now on. The last admin token cannot be revoked.")
  static final class Revoke extends ApiCommand {
    @Parameters(index = "0", description = "The token's name.")
    String tokenName;

    @Override
    String name() {
      return "token revoke";
    }

    @Override
    int run(SwarmClient client) throws IOException, InterruptedException {
      client.delete("/api/v1/tokens/" + URLEncoder.encode(tokenName, StandardCharsets.UTF_8));
      System.out.println("revoked token \"" + tokenName + "\"");
      return SwarmCli.OK;
    }
  }
}
