package org.buildswarm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/** What every benchmark does when it is done with what it started: stop it and remove its files. */
final class BenchWork {
  private BenchWork() {}

  /** Asks the process to stop (SIGTERM), and kills it if it has not within 30 s. */
  static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  /** Removes a benchmark's work directory and everything in it. */
  static void delete(Path work) throws IOException {
    try (var files = Files.walk(work)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
