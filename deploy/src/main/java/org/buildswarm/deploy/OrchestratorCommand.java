package org.buildswarm.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.buildswarm.deploy.cluster.ClusterSettings;
import org.buildswarm.orchestrator.OrchestratorOptions;
import org.buildswarm.orchestrator.discovery.Project;
import org.buildswarm.orchestrator.discovery.Projects;
import org.buildswarm.orchestrator.OrchestratorNode;
import org.buildswarm.orchestrator.core.CoreOptions;
import org.buildswarm.orchestrator.metrics.SwarmMetrics;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.orchestrator.store.Stores;
import org.buildswarm.orchestrator.store.impl.PgStoreOptions;
import org.buildswarm.protocol.Secrets;
import org.buildswarm.protocol.api.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code swarm orchestrator}: plans and schedules for the whole swarm (a cluster data member). */
@Command(name = "orchestrator", mixinStandardHelpOptions = true,
    description = "Run the orchestrator of a swarm: it joins the cluster as a data member, keeps state in the store, "
        + "and plans and places every job.")
final class OrchestratorCommand extends NodeCommand {
  @Option(names = "--store", description = "postgresql://user:password@host:port/database (default: an embedded H2 "
      + "file in --data; one orchestrator only).")
  String store;

  @Option(names = "--data", defaultValue = ".buildswarm/orchestrator",
      description = "Directory for the embedded store (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--admin-token-file", description = "If the store has no API token yet, create an admin token and "
      + "write it to this file (mode 600).")
  Path adminTokenFile;

  @Option(names = "--projects", description = "A YAML file of Git repositories to watch for new commits "
      + "(docs/discovery.md); the leading orchestrator polls them and starts runs.")
  Path projectsFile;

  @Option(names = "--heartbeat", defaultValue = "2", description = "Seconds between drone heartbeats (default: ${DEFAULT-VALUE}).")
  int heartbeatSeconds;

  @Option(names = "--lease", defaultValue = "10",
      description = "Seconds a silent drone keeps its jobs before they are requeued (default: ${DEFAULT-VALUE}).")
  int leaseSeconds;

  @Override
  boolean liteMember() {
    return false;
  }

  @Override
  boolean keepsMetrics() {
    return true;
  }

  @Override
  String role() {
    return "orchestrator";
  }

  @Override
  Future<?> deploy(Vertx vertx, ClusterSettings settings) throws Exception {
    Files.createDirectories(data);
    String nodeName = settings.bindAddress() + ":" + settings.clusterPort();
    // Without credentials (an unauthenticated bus) job tokens still need a key: one of its own, for this run.
    org.buildswarm.protocol.auth.Credentials credentials = settings.credentials() != null ? settings.credentials()
        : org.buildswarm.protocol.auth.Credentials.newSwarm(new SecureRandom());
    OrchestratorOptions options = OrchestratorOptions.defaults(nodeName, credentials)
        .withCore(CoreOptions.defaults().withLease(heartbeatSeconds * 1000L, leaseSeconds * 1000L));
    if (projectsFile != null) {
      try {
        java.util.List<Project> projects = Projects.read(projectsFile);
        options = options.withProjects(projects, data.resolve("discovery"));
        System.out.println("orchestrator watches " + projects.size() + " project(s) from " + projectsFile);
      } catch (Projects.Invalid invalid) {
        throw new IOException("the projects file has problems:\n" + invalid.getMessage());
      }
    }
    System.out.println("orchestrator store: " + Stores.describe(store, data));
    // On PostgreSQL several orchestrators may share the store: the one holding the leader lock leads.
    PgStoreOptions election = store == null || store.isBlank() ? null : PgStoreOptions.fromUri(store);
    if (election != null) {
      System.out.println("orchestrator " + nodeName + ": leads while it holds the leader lock, stands by otherwise");
    }
    OrchestratorOptions configured = options;
    return ensureAdminToken(vertx)
        .compose(v -> vertx.deployVerticle(new OrchestratorNode(configured, () -> Stores.open(vertx, store, data), election,
            new SwarmMetrics(metrics().registry()))));
  }

  /** Creates the first admin token (if the store has none and a file is given), with a store of its own. */
  private Future<Void> ensureAdminToken(Vertx vertx) {
    if (adminTokenFile == null) {
      return Future.succeededFuture();
    }
    Store storeToUse = Stores.open(vertx, store, data);
    return storeToUse.start()
        .compose(started -> storeToUse.hasTokens().compose(any -> {
          if (any) {
            return Future.<Void>succeededFuture();
          }
          String token = Secrets.newToken(new SecureRandom());
          try {
            Files.writeString(adminTokenFile, token + "\n");
            Files.setPosixFilePermissions(adminTokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
          } catch (IOException e) {
            return Future.failedFuture(e);
          }
          System.out.println("created an admin API token in " + adminTokenFile);
          return storeToUse.saveToken(Secrets.sha256Hex(token), "admin", Role.ADMIN).<Void>mapEmpty();
        }))
        .eventually(storeToUse::close);
  }
}
