package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API tokens end to end: created, used, listed and revoked through the API and the CLI, on a real store. */
class AccessControlTest {
  private static final String PIPELINE = "jobs:\n  a: {steps: [\"true\"]}\n";

  @TempDir
  Path directory;

  private LocalSwarm swarm;

  @BeforeEach
  void start() throws Exception {
    swarm = LocalSwarm.start(directory, 2);
  }

  @AfterEach
  void stop() throws Exception {
    swarm.close();
  }

  private String create(String name, String role) throws Exception {
    LocalSwarm.Reply created = swarm.post("/api/v1/tokens", swarm.adminToken, Map.of("name", name, "role", role));
    assertThat(created.status()).as("%s", created.json()).isEqualTo(201);
    assertThat(created.json().path("role").asText()).isEqualTo(role);
    return created.json().path("token").asText();
  }

  @Test
  void rolesDecideWhatATokenMayDoAndARevokedTokenIsRefusedAtOnce() throws Exception {
    String developer = create("alice", "developer");
    String viewer = create("dashboard", "viewer");
    assertThat(developer).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(viewer);

    assertThat(swarm.get("/api/v1/whoami", developer).json().path("name").asText()).isEqualTo("alice");
    assertThat(swarm.post("/api/v1/runs", developer, Map.of("pipeline", PIPELINE)).status()).isEqualTo(201);
    LocalSwarm.Reply viewerSubmits = swarm.post("/api/v1/runs", viewer, Map.of("pipeline", PIPELINE));
    assertThat(viewerSubmits.status()).isEqualTo(403);
    assertThat(viewerSubmits.error().path("code").asText()).isEqualTo("forbidden");
    assertThat(swarm.post("/api/v1/drones/local/drain", developer, Map.of()).status()).as("drain is admin's").isEqualTo(403);
    assertThat(swarm.get("/api/v1/tokens", developer).status()).isEqualTo(403);
    assertThat(swarm.post("/api/v1/tokens", developer, Map.of("name", "mine", "role", "admin")).status())
        .as("no one raises their own role").isEqualTo(403);

    LocalSwarm.Reply list = swarm.get("/api/v1/tokens", swarm.adminToken);
    assertThat(list.json().path("tokens").findValuesAsText("name")).containsExactly("admin", "alice", "dashboard");
    assertThat(list.raw().body()).doesNotContain(developer).doesNotContainIgnoringCase("sha256");

    // Revoked: refused by the very next call, though the gateway had just verified it.
    assertThat(swarm.delete("/api/v1/tokens/alice", swarm.adminToken).status()).isEqualTo(200);
    LocalSwarm.Reply afterRevoke = swarm.post("/api/v1/runs", developer, Map.of("pipeline", PIPELINE));
    assertThat(afterRevoke.status()).isEqualTo(401);
    assertThat(afterRevoke.error().path("message").asText()).isEqualTo("unknown API token");
  }

  @Test
  void badRequestsAreRefusedWithTheStableErrorShape() throws Exception {
    create("ci", "developer");
    LocalSwarm.Reply taken = swarm.post("/api/v1/tokens", swarm.adminToken, Map.of("name", "ci"));
    assertThat(taken.status()).isEqualTo(409);
    assertThat(taken.error().path("message").asText()).contains("\"ci\" exists");
    assertThat(swarm.post("/api/v1/tokens", swarm.adminToken, Map.of("name", "../x")).error().path("code").asText())
        .isEqualTo("bad_request");
    assertThat(swarm.post("/api/v1/tokens", swarm.adminToken, Map.of("name", "ok", "role", "root")).error()
        .path("message").asText()).contains("viewer, developer or admin");
    assertThat(swarm.delete("/api/v1/tokens/nobody", swarm.adminToken).status()).isEqualTo(404);

    LocalSwarm.Reply lastAdmin = swarm.delete("/api/v1/tokens/admin", swarm.adminToken);
    assertThat(lastAdmin.status()).isEqualTo(409);
    assertThat(lastAdmin.error().path("message").asText()).contains("last admin token");
    create("second-admin", "admin");
    assertThat(swarm.delete("/api/v1/tokens/admin", swarm.adminToken).status()).isEqualTo(200);
  }

  @Test
  void theCliCreatesListsAndRevokesTokens() throws Exception {
    String[] connection = {"--url", swarm.url(), "--token", swarm.adminToken};
    Cli.Outcome created = Cli.swarm(concat(new String[] {"token", "create", "bot", "--role", "viewer"}, connection));
    assertThat(created.status()).as(created.err()).isZero();
    String token = created.out().trim();
    assertThat(swarm.get("/api/v1/whoami", token).json().path("role").asText()).isEqualTo("viewer");

    Cli.Outcome listed = Cli.swarm(concat(new String[] {"token", "list"}, connection));
    assertThat(listed.out()).contains("bot").contains("viewer").doesNotContain(token);

    assertThat(Cli.swarm(concat(new String[] {"token", "revoke", "bot"}, connection)).status()).isZero();
    assertThat(swarm.get("/api/v1/whoami", token).status()).isEqualTo(401);
    Cli.Outcome again = Cli.swarm(concat(new String[] {"token", "revoke", "bot"}, connection));
    assertThat(again.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(again.err()).contains("no API token named \"bot\"");
  }

  private static String[] concat(String[] first, String[] second) {
    String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }
}
