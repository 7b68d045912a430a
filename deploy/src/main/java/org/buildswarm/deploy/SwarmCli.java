package org.buildswarm.deploy;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code swarm}: the one command-line entry point of buildswarm. */
@Command(
    name = "swarm",
    mixinStandardHelpOptions = true,
    versionProvider = SwarmCli.Version.class,
    description = "A build swarm: an orchestrator, drones and a gateway on a Vert.x event bus.",
    subcommands = {UpCommand.class, RunCommand.class, StatusCommand.class, LogsCommand.class, CancelCommand.class,
        DroneModeCommands.Drain.class, DroneModeCommands.Pause.class, DroneModeCommands.Resume.class,
        SimulateCommand.class, CommandLine.HelpCommand.class})
public final class SwarmCli {
  /** Exit status: the run (or command) succeeded. */
  public static final int OK = 0;
  /** The run failed or was cancelled. */
  public static final int RUN_FAILED = 1;
  /** Bad input: an invalid pipeline, a missing file, a bad option. */
  public static final int BAD_INPUT = 2;
  /** The swarm could not be reached or refused the request. */
  public static final int UNAVAILABLE = 3;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new SwarmCli());
    commandLine.setExitCodeExceptionMapper(failure -> UNAVAILABLE); // bad options already exit with 2 (USAGE)
    return commandLine;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = SwarmCli.class.getPackage().getImplementationVersion();
      return new String[] {"buildswarm " + (version == null ? "development build" : version)
          + " (protocol " + org.buildswarm.protocol.ProtocolVersion.CURRENT + ")"};
    }
  }
}
