package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Signals whole process groups. Each step runs as the leader of its own group ({@code setsid}), so
 * everything it starts — children, grandchildren that outlive their parent — can be stopped
 * together: SIGTERM, a grace period, then SIGKILL for whatever is left. Linux only (reads /proc).
 */
public final class ProcessGroups {
  private static final Logger LOG = Logger.getLogger(ProcessGroups.class.getName());
  private static final Path PROC = Path.of("/proc");

  private ProcessGroups() {}

  /** The command prefix that makes the spawned program lead a new session and process group. */
  public static List<String> newGroupCommand(List<String> command) {
    List<String> full = new ArrayList<>(command.size() + 1);
    full.add("setsid");
    full.addAll(command);
    return full;
  }

  /**
   * Stops every process in the group: SIGTERM, wait up to {@code graceMs} for them to exit, SIGKILL
   * the rest. Blocks until the group is empty or SIGKILL was sent and reaped (bounded).
   *
   * @return true if SIGKILL was needed
   */
  public static boolean terminate(long pgid, long graceMs) {
    if (pgid <= 1 || members(pgid).isEmpty()) {
      return false;
    }
    signal(pgid, "TERM");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
    while (System.nanoTime() < deadline) {
      if (members(pgid).isEmpty()) {
        return false;
      }
      sleep(25);
    }
    List<Long> survivors = members(pgid);
    if (survivors.isEmpty()) {
      return false;
    }
    LOG.fine("process group " + pgid + " ignored SIGTERM for " + graceMs + " ms; sending SIGKILL to " + survivors);
    signal(pgid, "KILL");
    long reapDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!members(pgid).isEmpty() && System.nanoTime() < reapDeadline) {
      sleep(10);
    }
    return true;
  }

  /** Sends a signal to every process of the group. */
  public static void signal(long pgid, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      LOG.warning("cannot run kill: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Live (non-zombie) processes whose process group is {@code pgid}. Every member was started after
   * the group's leader, and Linux hands out pids in increasing order, so only pids from
   * {@code pgid} up to the newest pid need a look — unless the pid counter wrapped around since,
   * which is checked, and then every process is.
   */
  public static List<Long> members(long pgid) {
    List<Long> members = new ArrayList<>();
    long newest = newestPid();
    boolean wrapped = newest < pgid;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path entry : entries) {
        long pid = Long.parseLong(entry.getFileName().toString());
        if (!wrapped && (pid < pgid || pid > newest) && pid != pgid) {
          continue;
        }
        byte[] stat;
        try {
          stat = Files.readAllBytes(entry.resolve("stat"));
        } catch (IOException | RuntimeException gone) {
          continue; // exited while we looked
        }
        if (inGroup(stat, pgid)) {
          members.add(pid);
        }
      }
    } catch (IOException e) {
      LOG.warning("cannot list /proc: " + e.getMessage());
    }
    return members;
  }

  /** The most recently created pid (the last field of /proc/loadavg), or the largest possible if unknown. */
  static long newestPid() {
    try {
      String loadavg = Files.readString(PROC.resolve("loadavg")).trim();
      return Long.parseLong(loadavg.substring(loadavg.lastIndexOf(' ') + 1));
    } catch (IOException | RuntimeException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Whether a /proc/PID/stat line ("pid (comm) state ppid pgrp ...") is of a live member of the
   * group. Parsed from bytes: this runs once per process on the host for every finished job.
   */
  static boolean inGroup(byte[] stat, long pgid) {
    char state = stateOf(stat);
    return state != '?' && state != 'Z' && state != 'X' && groupOf(stat) == pgid;
  }

  /** The state letter of a /proc/PID/stat (or task stat) line: R, S, D, Z…; '?' if unreadable. */
  static char stateOf(byte[] stat) {
    int position = afterCommand(stat);
    return position < 0 || position >= stat.length ? '?' : (char) stat[position];
  }

  /** The process group of a /proc/PID/stat line; -1 if unreadable. */
  static long groupOf(byte[] stat) {
    int position = afterCommand(stat);
    if (position < 0) {
      return -1;
    }
    int field = 0;
    long value = 0;
    for (int i = position; i < stat.length; i++) {
      byte b = stat[i];
      if (b == ' ') {
        if (field == 2) {
          return value;
        }
        field++;
        value = 0;
      } else if (field == 2) {
        value = value * 10 + (b - '0');
      }
    }
    return -1;
  }

  /** Where the state field starts: after the last ')' (a command name may hold spaces and parentheses). */
  private static int afterCommand(byte[] stat) {
    int end = stat.length - 1;
    while (end >= 0 && stat[end] != ')') {
      end--;
    }
    return end < 0 ? -1 : end + 2;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
