package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads the host for the host guard from {@code /proc} and the file system: pressure stall
 * information, runnable and blocked tasks (the host's and the drone's own), memory, disk and load.
 * Blocking: call it on a worker. The {@code /proc} root is a parameter so tests can replay
 * recorded readings.
 */
public final class HostProbe {
  private final Path proc;
  private final Path workDirectory;

  public HostProbe(Path proc, Path workDirectory) {
    this.proc = proc;
    this.workDirectory = workDirectory;
  }

  /** This host's {@code /proc}. */
  public static HostProbe of(Path workDirectory) {
    return new HostProbe(Path.of("/proc"), workDirectory);
  }

  /**
   * @param ownProcessGroups the process groups of the jobs the drone runs now
   * @param ownPid the drone's own process (its threads count as its own too)
   */
  public HostSample read(Set<Long> ownProcessGroups, long ownPid, long now) {
    int cpus = -1;
    int runnable = -1;
    int blocked = -1;
    String stat = text("stat");
    if (stat != null) {
      cpus = 0;
      for (String line : stat.split("\n")) {
        if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
          cpus++;
        } else if (line.startsWith("procs_running ")) {
          runnable = parseInt(line.substring("procs_running ".length()));
        } else if (line.startsWith("procs_blocked ")) {
          blocked = parseInt(line.substring("procs_blocked ".length()));
        }
      }
    }
    if (cpus <= 0) {
      cpus = Runtime.getRuntime().availableProcessors();
    }
    int[] own = ownTasks(ownProcessGroups, ownPid);
    double load = -1;
    String loadavg = text("loadavg");
    if (loadavg != null) {
      try {
        load = Double.parseDouble(loadavg.trim().split("\\s+")[0]);
      } catch (RuntimeException e) {
        // unreadable: shown as unknown
      }
    }
    long total = -1;
    long available = -1;
    String meminfo = text("meminfo");
    if (meminfo != null) {
      for (String line : meminfo.split("\n")) {
        if (line.startsWith("MemTotal:")) {
          total = kibibytes(line);
        } else if (line.startsWith("MemAvailable:")) {
          available = kibibytes(line);
        }
      }
    }
    long disk = workDirectory.toFile().getUsableSpace();
    return new HostSample(now, cpus, pressure("cpu"), pressure("io"), pressure("memory"), runnable, blocked, own[0],
        own[1], total, available, disk == 0 ? -1 : disk, load);
  }

  private HostSample.Pressure pressure(String resource) {
    String text = text("pressure/" + resource);
    return text == null ? null : HostSample.Pressure.parse(text);
  }

  /** Runnable and blocked threads of the drone's process and of its jobs' process groups. */
  private int[] ownTasks(Set<Long> groups, long ownPid) {
    int[] counts = new int[2];
    countTasks(proc.resolve(Long.toString(ownPid)), counts);
    if (groups.isEmpty()) {
      return counts;
    }
    long lowest = Long.MAX_VALUE;
    for (long group : groups) {
      lowest = Math.min(lowest, group);
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path entry : entries) {
        long pid;
        try {
          pid = Long.parseLong(entry.getFileName().toString());
        } catch (NumberFormatException e) {
          continue;
        }
        // Members start after their group's leader, so lower pids cannot be members (pid wrap aside,
        // which at worst undercounts the drone's own tasks for one reading).
        if (pid < lowest || pid == ownPid) {
          continue;
        }
        byte[] stat = bytes(entry.resolve("stat"));
        if (stat != null && groups.contains(ProcessGroups.groupOf(stat))) {
          countTasks(entry, counts);
        }
      }
    } catch (IOException e) {
      // no /proc: nothing of our own is counted
    }
    return counts;
  }

  private void countTasks(Path process, int[] counts) {
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(process.resolve("task"))) {
      for (Path task : tasks) {
        byte[] stat = bytes(task.resolve("stat"));
        char state = stat == null ? '?' : ProcessGroups.stateOf(stat);
        if (state == 'R') {
          counts[0]++;
        } else if (state == 'D') {
          counts[1]++;
        }
      }
    } catch (IOException e) {
      // the process exited while we looked
    }
  }

  private String text(String name) {
    try {
      return Files.readString(proc.resolve(name));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static int parseInt(String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static long kibibytes(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
  }
}
