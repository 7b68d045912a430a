package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * What a drone that was killed (kill -9, a crash, a power cut) left behind: job processes still
 * running in their own sessions, workspaces and log spools of attempts the orchestrator has
 * already given to others. A starting drone stops those processes and removes the rest.
 *
 * <p>Each step of a running attempt adds a line to {@code <attempt>.pgid}: its process group and the
 * leader's start time, so a group id reused by an unrelated process after a reboot is never signalled.
 */
public final class Leftovers {
  private static final Logger LOG = Logger.getLogger(Leftovers.class.getName());
  static final String SUFFIX = ".pgid";

  private Leftovers() {}

  /** Records a step's process group while its attempt runs. */
  static void record(Path marker, long pgid) throws IOException {
    Files.writeString(marker, pgid + " " + startTime(pgid) + "\n", StandardCharsets.US_ASCII,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }

  /** Stops recorded groups that are still ours, removes old workspaces and spools; returns how many groups. */
  public static int clean(Path jobs, Path logs, long killGraceMs) throws IOException {
    int stopped = 0;
    if (Files.isDirectory(jobs)) {
      try (DirectoryStream<Path> markers = Files.newDirectoryStream(jobs, "*" + SUFFIX)) {
        for (Path marker : markers) {
          if (stopIfOurs(marker, killGraceMs)) {
            stopped++;
          }
          Files.deleteIfExists(marker);
        }
      }
      try (DirectoryStream<Path> workspaces = Files.newDirectoryStream(jobs)) {
        for (Path workspace : workspaces) {
          Trees.delete(workspace);
        }
      }
    }
    if (Files.isDirectory(logs)) {
      try (DirectoryStream<Path> spools = Files.newDirectoryStream(logs)) {
        for (Path spool : spools) {
          Files.deleteIfExists(spool);
        }
      }
    }
    return stopped;
  }

  private static boolean stopIfOurs(Path marker, long killGraceMs) {
    boolean stopped = false;
    try {
      for (String line : Files.readAllLines(marker, StandardCharsets.US_ASCII)) {
        if (!line.isBlank()) {
          stopped |= stopIfOurs(marker, line.trim().split(" "), killGraceMs);
        }
      }
    } catch (IOException e) {
      LOG.warning("cannot read " + marker + ": " + e.getMessage());
    }
    return stopped;
  }

  private static boolean stopIfOurs(Path marker, String[] recorded, long killGraceMs) {
    try {
      long pgid = Long.parseLong(recorded[0]);
      String leaderStart = recorded.length > 1 ? recorded[1] : "";
      String workspace = marker.getFileName().toString().replace(SUFFIX, "");
      Path workspacePath = marker.resolveSibling(workspace).toAbsolutePath();
      boolean ours = !leaderStart.isEmpty() && leaderStart.equals(startTime(pgid));
      if (!ours) {
        for (long member : ProcessGroups.members(pgid)) {
          try {
            if (Files.readSymbolicLink(Path.of("/proc", Long.toString(member), "cwd")).startsWith(workspacePath)) {
              ours = true;
              break;
            }
          } catch (IOException | RuntimeException e) {
            // gone or not readable
          }
        }
      }
      if (ours && !ProcessGroups.members(pgid).isEmpty()) {
        LOG.info("stopping process group " + pgid + " left running by a previous drone (" + workspace + ")");
        ProcessGroups.terminate(pgid, killGraceMs);
        return true;
      }
    } catch (RuntimeException e) {
      LOG.warning("bad line in " + marker + ": " + e.getMessage());
    }
    return false;
  }

  /** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or "" if it is gone. */
  static String startTime(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return fields.length > 19 ? fields[19] : "";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
