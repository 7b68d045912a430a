package org.buildswarm.protocol.message;

import java.util.Locale;

/**
 * Why a drone's host takes no new work now, from the drone's host guard.
 *
 * @param signal which reading crossed its threshold (a bounded set, used as a metric label)
 * @param message what the reading was and what the threshold is, e.g.
 *     {@code memory pressure 42% > 30%}
 * @param whileBusyOnly true for pressure signals: they hold back new work only while the drone runs
 *     something. A drone that runs nothing takes work unless memory or disk is really short, so the
 *     swarm can never stall on pressure its host's other work causes.
 */
public record HostRefusal(Signal signal, String message, boolean whileBusyOnly) {
  /** What the guard measured. */
  public enum Signal {
    /** Free space in the work directory's file system is below its floor. */
    DISK,
    /** Available memory is below its floor. */
    MEMORY,
    /** Tasks of the host waited for memory (PSI {@code memory some}) for more than the threshold. */
    MEMORY_PRESSURE,
    /** Tasks waited for a CPU because of work other than the drone's own jobs. */
    CPU_PRESSURE,
    /** Tasks waited for I/O because of work other than the drone's own jobs. */
    IO_PRESSURE,
    /** The drone is shutting down. */
    LEAVING;

    /** The metric label: {@code cpu_pressure}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The refusal a drone's last heartbeat carries as it shuts down: the orchestrator places nothing
   * more there, and the jobs the drone then stops and reports lost do not count against it.
   */
  public static final HostRefusal LEAVING = new HostRefusal(Signal.LEAVING, "the drone is shutting down", false);

  /** Whether it holds back work from a drone that runs {@code runningJobs} jobs. */
  public boolean applies(int runningJobs) {
    return !whileBusyOnly || runningJobs > 0;
  }
}
