package org.buildswarm.deploy;

import java.nio.file.Path;
import java.util.List;
import org.buildswarm.drone.DroneOptions;
import org.buildswarm.drone.SandboxOptions;
import picocli.CommandLine.Option;

/**
 * How a drone keeps its jobs away from itself, and how much of their output it keeps
 * (docs/security.md, "What a job sees"); shared by {@code swarm up} and {@code swarm drone}.
 */
final class SandboxSettings {
  @Option(names = "--sandbox", defaultValue = "auto", description = "How jobs are kept away from the drone: auto "
      + "(bubblewrap where it works, else a separate user when root, else none, and the drone's status says which), "
      + "bubblewrap (or do not start), user, or none (default: ${DEFAULT-VALUE}).")
  String sandbox;

  @Option(names = "--job-user", description = "The user jobs' steps run as (default: "
      + SandboxOptions.DEFAULT_ROOT_JOB_USER + " when the drone runs as root, else the drone's own user).")
  String jobUser;

  @Option(names = "--sandbox-hide", split = ",", description = "More files or directories jobs must not see, comma "
      + "separated (the drone's work directory, secrets, home, state and credentials are hidden always).")
  List<Path> hidden;

  @Option(names = "--log-limit-mb", defaultValue = "" + DroneOptions.DEFAULT_LOG_LIMIT_BYTES / (1024 * 1024),
      description = "How much output of one job is kept; beyond it the log says so and the job goes on (MiB; 0: no "
          + "limit; default: ${DEFAULT-VALUE}).")
  long logLimitMib;

  /**
   * @param alsoHidden what this command knows jobs must not see (state directory, config, credentials)
   * @throws IllegalArgumentException with a message for people when a setting is wrong
   */
  SandboxOptions options(List<Path> alsoHidden) {
    SandboxOptions.Mode mode = SandboxOptions.Mode.parse(sandbox);
    List<Path> all = new java.util.ArrayList<>(alsoHidden);
    if (hidden != null) {
      all.addAll(hidden);
    }
    return new SandboxOptions(mode, jobUser, all, null);
  }

  long logLimitBytes() {
    if (logLimitMib < 0) {
      throw new IllegalArgumentException("log-limit-mb must be 0 or more");
    }
    return logLimitMib * 1024 * 1024;
  }
}
