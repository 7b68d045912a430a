package org.buildswarm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the benchmarks read from the output files of the swarm processes they start. */
final class ProcessOutput {
  private ProcessOutput() {}

  /** The first group of {@code pattern} once it appears in {@code file}, within 3 minutes. */
  static String await(Path file, Pattern pattern) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(file)) {
        Matcher matcher = pattern.matcher(Files.readString(file, StandardCharsets.UTF_8));
        if (matcher.find()) {
          return matcher.group(1);
        }
      }
      Thread.sleep(100);
    }
    throw new IOException("no " + pattern + " in " + file);
  }
}
