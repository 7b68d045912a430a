package org.buildswarm.deploy;

import org.buildswarm.protocol.config.SettingsFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code swarm}: the one command-line entry point of buildswarm. */
@Command(
    name = "swarm",
    mixinStandardHelpOptions = true,
    versionProvider = SwarmCli.Version.class,
    description = "A build swarm: an orchestrator, drones and a gateway on a Vert.x event bus.",
    subcommands = {UpCommand.class, RunCommand.class, StatusCommand.class, LogsCommand.class, CancelCommand.class, RetryCommand.class,
        OrchestratorCommand.class, GatewayCommand.class, DroneCommand.class,
        DroneModeCommands.Drain.class, DroneModeCommands.Pause.class, DroneModeCommands.Resume.class, TokenCommand.class, EnvironmentCommand.class,
        SimulateCommand.class, LintCommand.class, CredentialsCommand.class, CommandLine.HelpCommand.class,
        picocli.AutoComplete.GenerateCompletion.class})
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
    CommandLine commandLine;
    try {
      commandLine = commandLine(args, System.getenv());
    } catch (SettingsFile.SettingsException e) {
      System.err.println("swarm: " + e.getMessage());
      System.exit(BAD_INPUT);
      return;
    } catch (java.io.IOException e) {
      System.err.println("swarm: cannot read the settings file: " + e.getMessage());
      System.exit(BAD_INPUT);
      return;
    }
    System.exit(commandLine.execute(args));
  }

  public static CommandLine commandLine() {
    try {
      return commandLine(new String[0], java.util.Map.of());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The command line with every option's default taken from the environment and the settings file
   * named by {@code --config} (found in {@code args}); unknown settings in the file are refused.
   */
  public static CommandLine commandLine(String[] args, java.util.Map<String, String> environment)
      throws java.io.IOException, SettingsFile.SettingsException {
    SettingsFile file = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = SettingsFile.read(java.nio.file.Path.of(args[i + 1]));
      } else if (args[i].startsWith("--config=")) {
        file = SettingsFile.read(java.nio.file.Path.of(args[i].substring("--config=".length())));
      }
    }
    CommandLine commandLine = base();
    SettingsDefaults defaults = new SettingsDefaults(file, environment);
    for (CommandLine sub : commandLine.getSubcommands().values()) {
      sub.setDefaultValueProvider(defaults);
    }
    if (file != null && args.length > 0 && commandLine.getSubcommands().containsKey(args[0])) {
      java.util.Set<String> known = new java.util.HashSet<>();
      for (CommandLine.Model.OptionSpec option : commandLine.getSubcommands().get(args[0]).getCommandSpec().options()) {
        if (!option.usageHelp() && !option.versionHelp() && !option.longestName().equals("--config")) {
          known.add(SettingsDefaults.key(option));
        }
      }
      file.checkKnown(known);
    }
    return commandLine;
  }

  private static CommandLine base() {
    CommandLine commandLine = new CommandLine(new SwarmCli());
    // Picocli asks the mapper about usage errors too: a wrong command, option or argument is bad input.
    commandLine.setExitCodeExceptionMapper(failure -> failure instanceof CommandLine.ParameterException
        ? BAD_INPUT : UNAVAILABLE);
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
