package org.buildswarm.deploy;

import org.buildswarm.drone.HostGuardOptions;
import picocli.CommandLine.Option;

/**
 * The host guard's settings (docs/operations.md, "The host guard"), shared by {@code swarm up} and
 * {@code swarm drone}. The CPU and I/O defaults differ: off on a developer's machine, on for a
 * build host.
 */
final class HostGuardSettings {
  @Option(names = "--min-free-disk-mb", defaultValue = "" + HostGuardOptions.DEFAULT_MIN_FREE_DISK_BYTES / (1024 * 1024),
      description = "Take no new work, even when idle, while the work directory's file system has less free (MiB; "
          + "0: off; default: ${DEFAULT-VALUE}).")
  long minFreeDiskMib;

  @Option(names = "--min-free-memory-mb",
      defaultValue = "" + HostGuardOptions.DEFAULT_MIN_FREE_MEMORY_BYTES / (1024 * 1024),
      description = "Take no new work, even when idle, while the host has less memory available (MiB; 0: off; "
          + "default: ${DEFAULT-VALUE}).")
  long minFreeMemoryMib;

  @Option(names = "--max-memory-pressure", defaultValue = "" + HostGuardOptions.DEFAULT_MAX_MEMORY_PRESSURE,
      description = "While running a job, take no more while tasks waited for memory this share of the time "
          + "(PSI memory some avg10, %%; 0: off; default: ${DEFAULT-VALUE}).")
  double maxMemoryPressure;

  @Option(names = "--resume-memory-pressure", defaultValue = "" + HostGuardOptions.DEFAULT_RESUME_MEMORY_PRESSURE,
      description = "Take work again once memory pressure is below this (%%; default: ${DEFAULT-VALUE}).")
  double resumeMemoryPressure;

  @Option(names = "--max-cpu-pressure", description = "While running a job, take no more while tasks waited for a "
      + "CPU this share of the time because of work other than the drone's own jobs (%%; 0: off; default: "
      + HostGuardOptions.DEFAULT_MAX_CPU_PRESSURE + " for swarm drone, 0 for swarm up).")
  Double maxCpuPressure;

  @Option(names = "--resume-cpu-pressure", description = "Take work again once that CPU pressure is below this (%%; "
      + "default: half of --max-cpu-pressure).")
  Double resumeCpuPressure;

  @Option(names = "--max-io-pressure", description = "While running a job, take no more while tasks waited for I/O "
      + "this share of the time because of work other than the drone's own jobs (%%; 0: off; default: "
      + HostGuardOptions.DEFAULT_MAX_IO_PRESSURE + " for swarm drone, 0 for swarm up).")
  Double maxIoPressure;

  @Option(names = "--resume-io-pressure", description = "Take work again once that I/O pressure is below this (%%; "
      + "default: half of --max-io-pressure).")
  Double resumeIoPressure;

  @Option(names = "--guard-hold", defaultValue = "" + HostGuardOptions.DEFAULT_HOLD_MS / 1000,
      description = "The shortest a refusal lasts, in seconds, so a drone does not flap (default: ${DEFAULT-VALUE}).")
  long holdSeconds;

  @Option(names = "--no-host-guard", description = "Take work whatever the host's state: every floor and pressure "
      + "signal off (for hosts that do nothing else, and for tests that need a drone to take work).")
  boolean off;

  @Option(names = "--max-load-per-cpu", hidden = true)
  String removedMaxLoadPerCpu;

  /**
   * @param defaults the command's defaults for what was not given
   * @throws IllegalArgumentException with a message for people when a setting is out of range or gone
   */
  HostGuardOptions options(HostGuardOptions defaults) {
    if (removedMaxLoadPerCpu != null) {
      throw new IllegalArgumentException("max-load-per-cpu is gone: the load average counts the drone's own jobs, so "
          + "it refused work the drone itself caused. Use max-cpu-pressure (docs/operations.md, \"The host guard\")");
    }
    if (off) {
      return HostGuardOptions.none();
    }
    double maxCpu = maxCpuPressure != null ? maxCpuPressure : defaults.maxCpuPressure();
    double resumeCpu = resumeCpuPressure != null ? resumeCpuPressure
        : maxCpuPressure != null ? maxCpu / 2 : defaults.resumeCpuPressure();
    double maxIo = maxIoPressure != null ? maxIoPressure : defaults.maxIoPressure();
    double resumeIo = resumeIoPressure != null ? resumeIoPressure
        : maxIoPressure != null ? maxIo / 2 : defaults.resumeIoPressure();
    if (minFreeDiskMib < 0 || minFreeMemoryMib < 0 || holdSeconds < 0) {
      throw new IllegalArgumentException("min-free-disk-mb, min-free-memory-mb and guard-hold must be 0 or more");
    }
    return new HostGuardOptions(minFreeDiskMib * 1024 * 1024, minFreeMemoryMib * 1024 * 1024, maxMemoryPressure,
        resumeMemoryPressure, maxCpu, resumeCpu, maxIo, resumeIo, holdSeconds * 1000);
  }
}
