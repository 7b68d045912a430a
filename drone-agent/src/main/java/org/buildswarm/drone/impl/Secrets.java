package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The drone's secrets: one file per secret in a directory only the drone's user can read, named
 * like the environment variable it becomes. Values stay on the drone's host: jobs name the secrets
 * they need, and the drone injects them and masks them in every log line.
 */
public final class Secrets {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  /** Shorter values are not masked: hiding every "1" or "on" would ruin the log and protect nothing. */
  public static final int MIN_MASKED_LENGTH = 4;
  public static final String MASK = "***";

  private final Path directory;

  public Secrets(Path directory) {
    this.directory = directory;
  }

  /** A secret a job needs that this drone does not have. */
  public static final class Missing extends Exception {
    Missing(String message) {
      super(message);
    }
  }

  /** The values of these secrets, by name; blocking (reads files). */
  public Map<String, String> resolve(List<String> names) throws Missing, IOException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : names) {
      if (!NAME.matcher(name).matches()) {
        throw new Missing("\"" + name + "\" is not a secret name");
      }
      Path file = directory.resolve(name);
      if (!Files.isRegularFile(file)) {
        throw new Missing("secret " + name + " is not on this drone (no file " + file + ")");
      }
      String value = Files.readString(file, StandardCharsets.UTF_8);
      // Files written with echo or an editor end with a newline that is not part of the secret.
      values.put(name, value.endsWith("\r\n") ? value.substring(0, value.length() - 2)
          : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value);
    }
    return values;
  }

  /** Replaces every secret value in a line of output. */
  public static final class Masker {
    private final List<String> values;

    public Masker(Iterable<String> secretValues) {
      List<String> masked = new java.util.ArrayList<>();
      for (String value : secretValues) {
        // A multi-line secret (a key file) is masked line by line, since the log is masked by line.
        for (String line : value.split("\r?\n")) {
          if (line.length() >= MIN_MASKED_LENGTH && !masked.contains(line)) {
            masked.add(line);
          }
        }
      }
      // Longest first, so a secret that contains another is masked whole.
      masked.sort(Comparator.comparingInt(String::length).reversed());
      this.values = List.copyOf(masked);
    }

    public boolean isEmpty() {
      return values.isEmpty();
    }

    public String mask(String line) {
      String result = line;
      for (String value : values) {
        if (result.contains(value)) {
          result = result.replace(value, MASK);
        }
      }
      return result;
    }
  }
}
