package org.buildswarm.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import org.buildswarm.deploy.impl.StateDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code swarm up}: the whole swarm on this machine, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start the orchestrator, the gateway and a drone for this machine in one process, "
        + "with state in an embedded database under --data. Stops cleanly on Ctrl-C.")
final class UpCommand implements Callable<Integer> {
  @Option(names = "--data", description = "State directory (default: ${DEFAULT-VALUE}).", defaultValue = StateDirectory.DEFAULT_NAME)
  Path data;

  @Option(names = "--host", description = "Address the UI and API listen on (default: ${DEFAULT-VALUE}, this machine only).",
      defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--port", description = "Port of the UI and API; 0 picks a free one (default: ${DEFAULT-VALUE}).",
      defaultValue = "7070")
  int port;

  @Option(names = "--cores", description = "Cores the local drone offers (default: all of this machine's).", defaultValue = "0")
  int cores;

  @Option(names = "--label", description = "A label of the local drone (repeatable; default: OS and architecture).")
  List<String> labels = List.of();

  @Option(names = "--drone-name", description = "Name of the local drone (default: the host name).")
  String droneName;

  @Option(names = "--store", description = "A PostgreSQL store, postgresql://user:password@host:port/database "
      + "(default: $BUILDSWARM_STORE, else an embedded H2 file in the state directory).")
  String store;

  @Option(names = "--kill-grace", description = "Seconds a cancelled job's processes get between SIGTERM and SIGKILL "
      + "(default: ${DEFAULT-VALUE}).", defaultValue = "10")
  int killGraceSeconds;

  @Option(names = "--projects", description = "A YAML file of Git repositories to watch for new commits "
      + "(docs/discovery.md): new commits start runs, and deploy to their branch's environment.")
  java.nio.file.Path projectsFile;

  @picocli.CommandLine.Mixin
  HostGuardSettings hostGuard;

  @picocli.CommandLine.Mixin
  SandboxSettings sandbox;

  @picocli.CommandLine.Mixin
  LogSettings logging;

  @Option(names = "--reads-need-token", defaultValue = "auto", description = "Whether reading runs, logs, artifacts "
      + "and live events needs a viewer token: yes, no, or auto — yes unless --host is a loopback address "
      + "(default: ${DEFAULT-VALUE}).")
  String readsNeedToken;

  @Override
  public Integer call() throws Exception {
    if (killGraceSeconds < 0) {
      System.err.println("swarm up: --kill-grace must be 0 or more seconds");
      return SwarmCli.BAD_INPUT;
    }
    org.buildswarm.drone.HostGuardOptions guard;
    org.buildswarm.drone.SandboxOptions jobSandbox;
    long logLimit;
    Boolean readAccess;
    try {
      guard = hostGuard.options(org.buildswarm.drone.HostGuardOptions.singleHostDefaults());
      jobSandbox = sandbox.options(java.util.List.of());
      logLimit = sandbox.logLimitBytes();
      readAccess = ReadAccess.parse(readsNeedToken);
      logging.apply("up");
    } catch (IllegalArgumentException e) {
      System.err.println("swarm up: " + e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    java.util.List<org.buildswarm.orchestrator.discovery.Project> projects = java.util.List.of();
    if (projectsFile != null) {
      try {
        projects = org.buildswarm.orchestrator.discovery.Projects.read(projectsFile);
      } catch (org.buildswarm.orchestrator.discovery.Projects.Invalid invalid) {
        System.err.println("swarm up: the projects file has problems; nothing was started:\n" + invalid.getMessage());
        return SwarmCli.BAD_INPUT;
      } catch (java.io.IOException e) {
        System.err.println("swarm up: cannot read the projects file " + projectsFile + ": " + e.getMessage());
        return SwarmCli.BAD_INPUT;
      }
    }
    SingleHostSwarm swarm = new SingleHostSwarm(new SingleHostSwarm.Options(data, host, port, cores, labels, droneName,
        killGraceSeconds * 1000L, store != null ? store : System.getenv("BUILDSWARM_STORE"), projects, guard, jobSandbox,
        logLimit, readAccess));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      System.out.println("stopping buildswarm…");
      int status = SwarmCli.OK;
      try {
        swarm.stop(60_000);
        System.out.println("buildswarm stopped");
      } catch (Exception e) {
        System.err.println("buildswarm did not stop cleanly: " + e);
        status = SwarmCli.RUN_FAILED;
      } finally {
        stopped.countDown();
      }
      System.out.flush();
      // A clean stop on SIGTERM/Ctrl-C is a success, not "killed by signal" (143).
      Runtime.getRuntime().halt(status);
    }, "buildswarm-shutdown");
    try {
      swarm.start().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("buildswarm could not start: " + cause.getMessage());
      try {
        swarm.stop(30_000);
      } catch (Exception ignored) {
        // already failing; the message above is what matters
      }
      return SwarmCli.UNAVAILABLE;
    }
    Runtime.getRuntime().addShutdownHook(hook);
    System.out.println("buildswarm is up");
    System.out.println("  UI and API:   " + swarm.url());
    System.out.println("  drone:        " + swarm.drone().name() + " with " + swarm.drone().cores() + " cores, labels "
        + swarm.drone().labels());
    System.out.println("  state:        " + swarm.state().root());
    System.out.println("  store:        " + swarm.storeDescription());
    System.out.println("  admin token:  " + swarm.state().resolve(StateDirectory.ADMIN_TOKEN_FILE));
    System.out.println("Run a pipeline with `swarm run [DIR]` from here. Stop with Ctrl-C.");
    System.out.flush();
    stopped.await();
    return SwarmCli.OK;
  }
}
