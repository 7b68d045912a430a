package org.buildswarm.drone.impl;

/**
 * One reading of the host, as the host guard sees it; -1 (or null) wherever the host does not say.
 *
 * @param atMs when it was taken
 * @param cpus the host's CPUs (not the drone's cores, nor the JVM's share of a container)
 * @param cpu PSI {@code /proc/pressure/cpu}; null where the kernel has none
 * @param io PSI {@code /proc/pressure/io}; null where the kernel has none
 * @param memory PSI {@code /proc/pressure/memory}; null where the kernel has none
 * @param runnableTasks tasks on the host runnable now ({@code procs_running} of /proc/stat)
 * @param blockedTasks tasks on the host waiting for I/O now ({@code procs_blocked})
 * @param ownRunnable of those, the drone's own: its JVM's threads and its jobs' process groups
 * @param ownBlocked likewise
 * @param load1 the 1-minute load average (shown to people; the guard does not use it)
 */
public record HostSample(
    long atMs,
    int cpus,
    Pressure cpu,
    Pressure io,
    Pressure memory,
    int runnableTasks,
    int blockedTasks,
    int ownRunnable,
    int ownBlocked,
    long memoryTotalBytes,
    long memoryAvailableBytes,
    long diskFreeBytes,
    double load1) {

  /** One line pair of a /proc/pressure file: the share (percent) of the last 10 s that some or all tasks stalled. */
  public record Pressure(double someAvg10, double fullAvg10) {
    /** Parses {@code some avg10=1.23 avg60=… total=…\nfull avg10=…}; null if it is not that. */
    static Pressure parse(String text) {
      double some = -1;
      double full = -1;
      for (String line : text.split("\n")) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length < 2 || !fields[1].startsWith("avg10=")) {
          continue;
        }
        double value;
        try {
          value = Double.parseDouble(fields[1].substring("avg10=".length()));
        } catch (NumberFormatException e) {
          continue;
        }
        if (fields[0].equals("some")) {
          some = value;
        } else if (fields[0].equals("full")) {
          full = value;
        }
      }
      return some < 0 ? null : new Pressure(some, Math.max(0, full));
    }
  }
}
