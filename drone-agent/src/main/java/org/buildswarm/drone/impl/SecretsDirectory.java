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
public final class SecretsDirectory {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  /** Shorter values are not masked: hiding every "1" or "on" would ruin the log and protect nothing. */
  public static final int MIN_MASKED_LENGTH = 4;
  public static final String MASK = "***";

  private final Path directory;

  public SecretsDirectory(Path directory) {
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

  /**
   * Replaces every secret value in output, as a stream: text is masked as it comes, and only the
   * last {@code longest - 1} bytes of a line are held back until more arrives, so a secret is caught
   * however the output is cut (in lines of any length, across writes and chunk boundaries). Works on
   * bytes (each as one ISO-8859-1 char), so a cut inside a UTF-8 character changes nothing.
   */
  public static final class Masker {
    private final List<String> values;
    private final int longest;

    public Masker(Iterable<String> secretValues) {
      List<String> masked = new java.util.ArrayList<>();
      for (String value : secretValues) {
        // A multi-line secret (a key file) is masked line by line: no value spans a newline.
        for (String line : value.split("\r?\n")) {
          String bytes = new String(line.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
          if (line.length() >= MIN_MASKED_LENGTH && !masked.contains(bytes)) {
            masked.add(bytes);
          }
        }
      }
      // Longest first, so a secret that contains another is masked whole.
      masked.sort(Comparator.comparingInt(String::length).reversed());
      this.values = List.copyOf(masked);
      this.longest = masked.isEmpty() ? 0 : masked.get(0).length();
    }

    public boolean isEmpty() {
      return values.isEmpty();
    }

    /** Masks a whole piece of text (a line the drone writes itself). */
    public String mask(String text) {
      String bytes = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
      StringBuilder out = new StringBuilder(bytes.length());
      maskInto(bytes, bytes.length(), out);
      return new String(out.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /**
     * Masks what of {@code pending} (bytes as ISO-8859-1 chars) can be decided now and appends it,
     * masked, to {@code out}; returns how many chars of {@code pending} were consumed. With
     * {@code end} true everything is consumed.
     */
    public int maskAvailable(String pending, boolean end, StringBuilder out) {
      int lastNewline = pending.lastIndexOf('\n');
      int safe = end ? pending.length() : Math.max(lastNewline + 1, pending.length() - (longest - 1));
      return maskInto(pending, safe, out);
    }

    /** Masks every value starting before {@code safe} (each lies wholly in {@code text}); returns where it stopped. */
    private int maskInto(String text, int safe, StringBuilder out) {
      int at = 0;
      while (at < safe) {
        int first = -1;
        String found = null;
        for (String value : values) {
          int index = text.indexOf(value, at);
          if (index >= 0 && index < safe && (first < 0 || index < first)) {
            first = index;
            found = value;
          }
        }
        if (found == null) {
          out.append(text, at, safe);
          return safe;
        }
        out.append(text, at, first).append(MASK);
        at = first + found.length();
      }
      return at;
    }
  }
}
