package org.buildswarm.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Finds processes a test left behind: anything whose working directory is inside the test's directory. */
final class LeftoverProcesses {
  private LeftoverProcesses() {}

  static List<String> processesIn(Path directory) {
    Path root = directory.toAbsolutePath().normalize();
    List<String> found = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          Path cwd = Files.readSymbolicLink(entry.resolve("cwd"));
          if (cwd.startsWith(root)) {
            String cmdline = Files.readString(entry.resolve("cmdline")).replace('\0', ' ').trim();
            found.add(entry.getFileName() + " " + cmdline + " (in " + cwd + ")");
          }
        } catch (IOException | RuntimeException gone) {
          // exited, or not ours to read
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  /** Waits up to {@code millis} for the directory's processes to go, and returns those that did not. */
  static List<String> awaitNoProcessesIn(Path directory, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    List<String> left = processesIn(directory);
    while (!left.isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      left = processesIn(directory);
    }
    return left;
  }
}
