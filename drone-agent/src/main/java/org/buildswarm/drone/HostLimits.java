package org.buildswarm.drone;

/**
 * When a drone stops taking new work because its host is in no state for it. Running jobs go on;
 * the drone takes work again by itself once the host recovers.
 *
 * @param minFreeDiskBytes free space needed in the work directory's file system
 *     (default {@value #DEFAULT_MIN_FREE_DISK_BYTES}); 0 turns the check off
 * @param maxLoadPerCpu the 1-minute load per CPU of the host above which it counts as
 *     over-subscribed (default {@value #DEFAULT_MAX_LOAD_PER_CPU}); 0 turns the check off
 */
public record HostLimits(long minFreeDiskBytes, double maxLoadPerCpu) {
  public static final long DEFAULT_MIN_FREE_DISK_BYTES = 1024L * 1024 * 1024;
  public static final double DEFAULT_MAX_LOAD_PER_CPU = 2.0;

  public static HostLimits defaults() {
    return new HostLimits(DEFAULT_MIN_FREE_DISK_BYTES, DEFAULT_MAX_LOAD_PER_CPU);
  }

  public static HostLimits none() {
    return new HostLimits(0, 0);
  }

  /**
   * Why this host should take no new work now, or null if it may.
   *
   * @param diskFreeBytes free bytes in the work directory's file system; negative if unknown
   * @param load1 the 1-minute load average; negative if unknown
   * @param cpus the host's CPUs
   */
  public String refusal(long diskFreeBytes, double load1, int cpus) {
    if (minFreeDiskBytes > 0 && diskFreeBytes >= 0 && diskFreeBytes < minFreeDiskBytes) {
      return "disk space low: " + mib(diskFreeBytes) + " free in the work directory, needs " + mib(minFreeDiskBytes);
    }
    if (maxLoadPerCpu > 0 && load1 >= 0 && cpus > 0 && load1 > maxLoadPerCpu * cpus) {
      return String.format(java.util.Locale.ROOT, "host over-subscribed: load %.1f on %d CPUs (limit %.1f per CPU)",
          load1, cpus, maxLoadPerCpu);
    }
    return null;
  }

  private static String mib(long bytes) {
    return (bytes / (1024 * 1024)) + " MiB";
  }
}
