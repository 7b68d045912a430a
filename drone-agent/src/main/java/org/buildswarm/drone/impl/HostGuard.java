package org.buildswarm.drone.impl;

import java.util.Locale;
import org.buildswarm.drone.HostGuardOptions;
import org.buildswarm.protocol.message.HostRefusal;
import org.buildswarm.protocol.message.HostRefusal.Signal;

/**
 * Decides from readings of the host whether the drone takes new work (see {@link HostGuardOptions}
 * for what each signal means). Pure: it sees only the samples it is given, in time order, and keeps
 * the smoothing and hysteresis state between them. Not thread-safe; one caller at a time.
 *
 * <p>CPU and I/O pressure are discounted by the drone's own share: the part of the host's runnable
 * (or blocked) tasks that are not the drone's, smoothed over about ten seconds, times the host's
 * pressure. Where the kernel has no pressure stall information, CPU pressure is estimated from the
 * same task counts (the share of readings in which more tasks were runnable than the host has
 * CPUs); I/O pressure then cannot be told and is not used.
 */
public final class HostGuard {
  /** Smoothing time constant: about the window of PSI's avg10. */
  static final double SMOOTHING_MS = 10_000;
  /** A refused floor is given back only with this much room above it, so a drone does not flap on the edge. */
  static final double FLOOR_MARGIN = 1.1;

  private final HostGuardOptions options;
  private long lastAt = -1;
  private double foreignRunnable;
  private double ownRunnable;
  private double foreignBlocked;
  private double ownBlocked;
  private double cpuWaitEstimate;

  private final Latch disk = new Latch();
  private final Latch memory = new Latch();
  private final Latch memoryPressure = new Latch();
  private final Latch cpuPressure = new Latch();
  private final Latch ioPressure = new Latch();
  private Reading last = new Reading(0, 0, 0, false, null);

  public HostGuard(HostGuardOptions options) {
    this.options = options;
  }

  /**
   * What the guard saw last, for the heartbeat and for people.
   *
   * @param cpuPressure CPU pressure others' work causes (percent)
   * @param ioPressure I/O pressure others' work causes (percent); 0 when it cannot be told
   * @param memoryPressure memory pressure (percent), whoever causes it
   * @param psi whether the kernel gave pressure stall information (else CPU pressure is estimated)
   * @param refusal why the host takes no new work, or null
   */
  public record Reading(double cpuPressure, double ioPressure, double memoryPressure, boolean psi, HostRefusal refusal) {}

  /** The decision after the last sample. */
  public Reading last() {
    return last;
  }

  /** Takes one sample and returns the decision after it. */
  public Reading observe(HostSample sample) {
    smooth(sample);
    long now = sample.atMs();
    boolean psi = sample.cpu() != null;

    double cpuSome = psi ? sample.cpu().someAvg10() : cpuWaitEstimate;
    double cpu = cpuSome * share(foreignRunnable, ownRunnable);
    double io = sample.io() == null ? 0 : sample.io().someAvg10() * share(foreignBlocked, ownBlocked);
    double mem = sample.memory() == null ? 0 : sample.memory().someAvg10();

    HostRefusal refusal = null;
    // Floors first: they hold back work even from an idle drone.
    if (options.minFreeDiskBytes() > 0 && sample.diskFreeBytes() >= 0) {
      boolean low = disk.update(sample.diskFreeBytes() < options.minFreeDiskBytes(),
          sample.diskFreeBytes() >= options.minFreeDiskBytes() * FLOOR_MARGIN, now);
      if (low) {
        refusal = new HostRefusal(Signal.DISK, "disk space low: " + mib(sample.diskFreeBytes())
            + " free in the work directory, needs " + mib(options.minFreeDiskBytes()), false);
      }
    }
    if (options.minFreeMemoryBytes() > 0 && sample.memoryAvailableBytes() >= 0) {
      boolean low = memory.update(sample.memoryAvailableBytes() < options.minFreeMemoryBytes(),
          sample.memoryAvailableBytes() >= options.minFreeMemoryBytes() * FLOOR_MARGIN, now);
      if (low && refusal == null) {
        refusal = new HostRefusal(Signal.MEMORY, "memory low: " + mib(sample.memoryAvailableBytes())
            + " available, needs " + mib(options.minFreeMemoryBytes()), false);
      }
    }
    if (pressureRefuses(memoryPressure, mem, options.maxMemoryPressure(), options.resumeMemoryPressure(), now)
        && refusal == null) {
      refusal = new HostRefusal(Signal.MEMORY_PRESSURE, "memory pressure " + percent(mem) + " > "
          + percent(options.maxMemoryPressure()), true);
    }
    if (pressureRefuses(cpuPressure, cpu, options.maxCpuPressure(), options.resumeCpuPressure(), now)
        && refusal == null) {
      refusal = new HostRefusal(Signal.CPU_PRESSURE, "CPU pressure from other work " + percent(cpu) + " > "
          + percent(options.maxCpuPressure()) + (psi ? "" : " (estimated: no pressure stall information)"), true);
    }
    if (pressureRefuses(ioPressure, io, options.maxIoPressure(), options.resumeIoPressure(), now) && refusal == null) {
      refusal = new HostRefusal(Signal.IO_PRESSURE, "I/O pressure from other work " + percent(io) + " > "
          + percent(options.maxIoPressure()), true);
    }
    last = new Reading(cpu, io, mem, psi, refusal);
    return last;
  }

  private boolean pressureRefuses(Latch latch, double value, double max, double resume, long now) {
    if (max <= 0) {
      return false;
    }
    return latch.update(value > max, value < resume, now);
  }

  /** Exponential smoothing of the task counts (and of the CPU-wait estimate) over about ten seconds. */
  private void smooth(HostSample sample) {
    double foreignR = sample.runnableTasks() < 0 ? 0 : Math.max(0, sample.runnableTasks() - sample.ownRunnable());
    double foreignB = sample.blockedTasks() < 0 ? 0 : Math.max(0, sample.blockedTasks() - sample.ownBlocked());
    double waiting = sample.runnableTasks() > sample.cpus() ? 100 : 0;
    if (lastAt < 0) {
      foreignRunnable = foreignR;
      ownRunnable = sample.ownRunnable();
      foreignBlocked = foreignB;
      ownBlocked = sample.ownBlocked();
      cpuWaitEstimate = waiting;
    } else {
      double alpha = 1 - Math.exp(-Math.max(0, sample.atMs() - lastAt) / SMOOTHING_MS);
      foreignRunnable += alpha * (foreignR - foreignRunnable);
      ownRunnable += alpha * (sample.ownRunnable() - ownRunnable);
      foreignBlocked += alpha * (foreignB - foreignBlocked);
      ownBlocked += alpha * (sample.ownBlocked() - ownBlocked);
      cpuWaitEstimate += alpha * (waiting - cpuWaitEstimate);
    }
    lastAt = sample.atMs();
  }

  /** The part of the tasks that are not the drone's (0 when there are hardly any). */
  private static double share(double foreign, double own) {
    double all = foreign + own;
    return all < 0.05 ? 0 : foreign / all;
  }

  private static String mib(long bytes) {
    return (bytes / (1024 * 1024)) + " MiB";
  }

  private static String percent(double value) {
    return String.format(Locale.ROOT, "%.0f%%", value);
  }

  /**
   * Hysteresis for one signal: set when {@code over}, cleared only when {@code under} and the
   * minimum hold since it was set has passed.
   */
  private final class Latch {
    boolean set;
    long heldUntil;

    boolean update(boolean over, boolean under, long now) {
      if (!set && over) {
        set = true;
        heldUntil = now + options.holdMs();
      } else if (set && under && now >= heldUntil) {
        set = false;
      }
      return set;
    }
  }
}
