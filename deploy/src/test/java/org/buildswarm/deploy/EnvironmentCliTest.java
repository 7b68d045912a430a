package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.buildswarm.orchestrator.discovery.Projects;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-host swarm watching a Git repository ({@code swarm up --projects}): pushes to main deploy
 * to prod, and {@code swarm env} shows and rolls back what prod runs.
 */
class EnvironmentCliTest {
  private static final String PIPELINE = """
      jobs:
        build: {steps: ["echo built"]}
        ship:
          needs: [build]
          deploy: true
          steps: ["echo shipping $BUILDSWARM_DEPLOY_VERSION to $BUILDSWARM_ENVIRONMENT"]
      """;

  @TempDir
  Path work;

  private Git git;
  private LocalSwarm swarm;
  private String[] connection;

  @BeforeEach
  void start() throws Exception {
    Path repo = work.resolve("shop");
    git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call();
    Files.writeString(work.resolve("projects.yml"), """
        projects:
          shop:
            url: %s
            branches: [main]
            poll: 1s
        """.formatted(repo.toUri()));
    swarm = LocalSwarm.start(work, 2, Projects.read(work.resolve("projects.yml")));
    connection = new String[] {"--url", swarm.url(), "--token", swarm.adminToken};
  }

  @AfterEach
  void stop() throws Exception {
    if (git != null) {
      git.close();
    }
    if (swarm != null) {
      swarm.close();
    }
  }

  @Test
  void pushesDeployAndTheCliShowsAndRollsBackTheEnvironment() throws Exception {
    String first = commitAndDeploy("1");
    String second = commitAndDeploy("2");

    Cli.Outcome listed = Cli.swarm(concat("env", "list", "--project", "shop"));
    assertThat(listed.status()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("shop/prod  current " + second).contains("previous " + first)
        .contains("SUCCEEDED");

    Cli.Outcome rolledBack = Cli.swarm(concat("env", "rollback", "shop", "prod"));
    assertThat(rolledBack.status()).as(rolledBack.err()).isZero();
    assertThat(rolledBack.out()).contains("shop/prod now runs " + first + " (before: " + second + ")");

    Cli.Outcome unknown = Cli.swarm(concat("env", "rollback", "shop", "prod", "--to", "f00"));
    assertThat(unknown.status()).isNotZero();
    assertThat(unknown.err()).contains("prod never ran version f00");

    Cli.Outcome forward = Cli.swarm(concat("env", "rollback", "shop", "prod", "--to", second));
    assertThat(forward.out()).contains("now runs " + second);
  }

  @Test
  void aHandStartedRunDeploysOnlyWhenGivenABranch() throws Exception {
    Path project = Files.createDirectories(work.resolve("local"));
    Files.writeString(project.resolve(".buildswarm.yml"), PIPELINE);
    Cli.Outcome plain = Cli.swarm(concat("run", project.toString(), "--project", "shop"));
    assertThat(plain.status()).as(plain.out() + plain.err()).isZero();
    assertThat(plain.out()).contains("the run has no branch, so it deploys nowhere");

    Cli.Outcome branch = Cli.swarm(concat("run", project.toString(), "--project", "shop", "--branch", "main",
        "--deploy-version", "hand-1"));
    assertThat(branch.status()).as(branch.out() + branch.err()).isZero();
    assertThat(Cli.swarm(concat("env", "list")).out()).contains("shop/prod  current hand-1");
  }

  private String commitAndDeploy(String version) throws Exception {
    Path repo = git.getRepository().getWorkTree().toPath();
    Files.writeString(repo.resolve(".buildswarm.yml"), PIPELINE);
    Files.writeString(repo.resolve("version"), version);
    git.add().addFilepattern(".").call();
    String sha = git.commit().setMessage("v" + version).setAuthor("t", "t@example.org")
        .setCommitter("t", "t@example.org").call().getName();
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      for (JsonNode environment : swarm.get("/api/v1/environments?project=shop", null).json().path("environments")) {
        if (sha.equals(environment.path("currentVersion").asText())) {
          return sha;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("commit " + sha + " was not deployed to prod");
  }

  private String[] concat(String... args) {
    String[] all = java.util.Arrays.copyOf(args, args.length + connection.length);
    System.arraycopy(connection, 0, all, args.length, connection.length);
    return all;
  }
}
