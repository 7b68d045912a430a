package org.buildswarm.tests;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Jobs run in their own PID namespace and cannot write where a test looks, so a test sees that a
 * job got somewhere by a process it started: {@code sh -c '…' NAME} carries NAME as its last
 * argument, which only that process has (the step's own shell and bubblewrap hold it inside a script).
 */
final class HostProcesses {
  private HostProcesses() {}

  /** A step fragment that runs {@code command} as a process the host can find by {@code name}. */
  static String named(String name, String command) {
    return "sh -c '" + command + "' " + name;
  }

  static OptionalLong withLastArgument(String last) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path entry : entries) {
        try {
          String[] argv = Files.readString(entry.resolve("cmdline")).split("\0");
          if (argv.length > 1 && argv[argv.length - 1].equals(last)) {
            return OptionalLong.of(Long.parseLong(entry.getFileName().toString()));
          }
        } catch (IOException gone) {
          // exited while we looked
        }
      }
    }
    return OptionalLong.empty();
  }

  /** Waits until the named process runs on this host; its pid (as the host numbers it). */
  static long await(String name, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      OptionalLong found = withLastArgument(name);
      if (found.isPresent()) {
        return found.getAsLong();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the job never got there: no process named " + name + " on this host");
      }
      Thread.sleep(50);
    }
  }
}
