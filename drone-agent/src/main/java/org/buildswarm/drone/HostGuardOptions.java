package org.buildswarm.drone;

/**
 * When a drone's host guard holds back new work (docs/operations.md, "The host guard"). Running
 * jobs always go on; the drone takes work again by itself once the host recovers.
 *
 * <p>Two kinds of signal:
 * <ul>
 *   <li><b>Floors</b> (free disk, free memory) hold back work even from a drone that runs nothing:
 *       a job started then would fail for want of them.
 *   <li><b>Pressures</b> (Linux pressure stall information, {@code /proc/pressure}) hold back work
 *       only while the drone runs something, so the swarm can never stall on its host's other
 *       work. CPU and I/O pressure count only what work other than the drone's own jobs causes
 *       (the drone already limits its own jobs to its cores); memory pressure counts whoever
 *       causes it, because cores do not limit memory.
 * </ul>
 * Each pressure refuses above its {@code max} and takes work again below its {@code resume};
 * every refusal lasts at least {@code holdMs}. A {@code max} of 0 turns that signal off.
 *
 * @param minFreeDiskBytes free space needed in the work directory's file system (default {@value #DEFAULT_MIN_FREE_DISK_BYTES}; 0: off)
 * @param minFreeMemoryBytes available memory needed (default {@value #DEFAULT_MIN_FREE_MEMORY_BYTES}; 0: off)
 * @param maxMemoryPressure percent of time tasks waited for memory (default {@value #DEFAULT_MAX_MEMORY_PRESSURE})
 * @param resumeMemoryPressure see above (default {@value #DEFAULT_RESUME_MEMORY_PRESSURE})
 * @param maxCpuPressure percent of time tasks waited for a CPU because of others' work (default {@value #DEFAULT_MAX_CPU_PRESSURE})
 * @param resumeCpuPressure see above (default {@value #DEFAULT_RESUME_CPU_PRESSURE})
 * @param maxIoPressure percent of time tasks waited for I/O because of others' work (default {@value #DEFAULT_MAX_IO_PRESSURE})
 * @param resumeIoPressure see above (default {@value #DEFAULT_RESUME_IO_PRESSURE})
 * @param holdMs the shortest a refusal lasts, so a drone does not flap (default {@value #DEFAULT_HOLD_MS})
 */
public record HostGuardOptions(
    long minFreeDiskBytes,
    long minFreeMemoryBytes,
    double maxMemoryPressure,
    double resumeMemoryPressure,
    double maxCpuPressure,
    double resumeCpuPressure,
    double maxIoPressure,
    double resumeIoPressure,
    long holdMs) {
  public static final long DEFAULT_MIN_FREE_DISK_BYTES = 1024L * 1024 * 1024;
  public static final long DEFAULT_MIN_FREE_MEMORY_BYTES = 256L * 1024 * 1024;
  public static final double DEFAULT_MAX_MEMORY_PRESSURE = 30;
  public static final double DEFAULT_RESUME_MEMORY_PRESSURE = 15;
  public static final double DEFAULT_MAX_CPU_PRESSURE = 60;
  public static final double DEFAULT_RESUME_CPU_PRESSURE = 30;
  public static final double DEFAULT_MAX_IO_PRESSURE = 60;
  public static final double DEFAULT_RESUME_IO_PRESSURE = 30;
  public static final long DEFAULT_HOLD_MS = 30_000;

  public HostGuardOptions {
    if (minFreeDiskBytes < 0 || minFreeMemoryBytes < 0 || holdMs < 0) {
      throw new IllegalArgumentException("host guard floors and hold must be 0 or more");
    }
    check("memory", maxMemoryPressure, resumeMemoryPressure);
    check("cpu", maxCpuPressure, resumeCpuPressure);
    check("io", maxIoPressure, resumeIoPressure);
  }

  private static void check(String signal, double max, double resume) {
    if (max < 0 || max > 100 || resume < 0 || (max > 0 && resume > max)) {
      throw new IllegalArgumentException("the " + signal + " pressure thresholds must lie between 0 and 100%, and "
          + "resume (" + resume + ") must not be above max (" + max + ")");
    }
  }

  /** A build host's defaults: every signal on. */
  public static HostGuardOptions defaults() {
    return new HostGuardOptions(DEFAULT_MIN_FREE_DISK_BYTES, DEFAULT_MIN_FREE_MEMORY_BYTES, DEFAULT_MAX_MEMORY_PRESSURE,
        DEFAULT_RESUME_MEMORY_PRESSURE, DEFAULT_MAX_CPU_PRESSURE, DEFAULT_RESUME_CPU_PRESSURE, DEFAULT_MAX_IO_PRESSURE,
        DEFAULT_RESUME_IO_PRESSURE, DEFAULT_HOLD_MS);
  }

  /**
   * {@code swarm up}'s defaults: a developer's own machine runs other work all the time, and the
   * swarm's jobs share it like any other program, so CPU and I/O pressure are off; the floors and
   * memory pressure stay on.
   */
  public static HostGuardOptions singleHostDefaults() {
    return defaults().withCpuPressure(0, 0).withIoPressure(0, 0);
  }

  /** Nothing held back (tests that must not depend on the host). */
  public static HostGuardOptions none() {
    return new HostGuardOptions(0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  public HostGuardOptions withCpuPressure(double max, double resume) {
    return new HostGuardOptions(minFreeDiskBytes, minFreeMemoryBytes, maxMemoryPressure, resumeMemoryPressure, max,
        resume, maxIoPressure, resumeIoPressure, holdMs);
  }

  public HostGuardOptions withIoPressure(double max, double resume) {
    return new HostGuardOptions(minFreeDiskBytes, minFreeMemoryBytes, maxMemoryPressure, resumeMemoryPressure,
        maxCpuPressure, resumeCpuPressure, max, resume, holdMs);
  }

  public HostGuardOptions withMemoryPressure(double max, double resume) {
    return new HostGuardOptions(minFreeDiskBytes, minFreeMemoryBytes, max, resume, maxCpuPressure, resumeCpuPressure,
        maxIoPressure, resumeIoPressure, holdMs);
  }

  public HostGuardOptions withFloors(long diskBytes, long memoryBytes) {
    return new HostGuardOptions(diskBytes, memoryBytes, maxMemoryPressure, resumeMemoryPressure, maxCpuPressure,
        resumeCpuPressure, maxIoPressure, resumeIoPressure, holdMs);
  }

  public HostGuardOptions withHoldMs(long hold) {
    return new HostGuardOptions(minFreeDiskBytes, minFreeMemoryBytes, maxMemoryPressure, resumeMemoryPressure,
        maxCpuPressure, resumeCpuPressure, maxIoPressure, resumeIoPressure, hold);
  }
}
