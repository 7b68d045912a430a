package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the host's load, memory and disk from /proc and the file system (blocking; call on a worker). */
public final class HostProbe {
  /** A reading; -1 where the host does not say. */
  public record Reading(double load1, long memoryTotalBytes, long memoryAvailableBytes, long diskFreeBytes) {}

  private HostProbe() {}

  public static Reading read(Path workDirectory) {
    double load = -1;
    try {
      load = Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc not mounted
    }
    long total = -1;
    long available = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          total = kibibytes(line);
        } else if (line.startsWith("MemAvailable:")) {
          available = kibibytes(line);
        }
      }
    } catch (IOException | RuntimeException e) {
      // as above
    }
    long disk = workDirectory.toFile().getUsableSpace();
    return new Reading(load, total, available, disk == 0 ? -1 : disk);
  }

  private static long kibibytes(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
  }
}
