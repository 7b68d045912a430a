package org.buildswarm.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs another program a test needs (a build tool, a Git client) to completion, its output in
 * files beside the test's work so a failure shows it; a program that outlives its time is killed
 * with all it started.
 */
final class ExternalCommand {
  private ExternalCommand() {}

  static SwarmProcess.Finished run(Path directory, Map<String, String> environment, Duration timeout, List<String> command)
      throws Exception {
    String name = Path.of(command.get(0)).getFileName() + "-" + System.nanoTime();
    Path out = Files.createTempFile(directory.getParent(), name, ".out");
    Path err = Files.createTempFile(directory.getParent(), name, ".err");
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(environment);
    Process process = builder.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + "\n--- stdout\n"
            + Files.readString(out) + "--- stderr\n" + Files.readString(err));
      }
      return new SwarmProcess.Finished(process.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
