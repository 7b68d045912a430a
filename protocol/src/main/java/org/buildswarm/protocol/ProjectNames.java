package org.buildswarm.protocol;

import java.util.regex.Pattern;

/**
 * What a project may be called: it names directories (caches, artifacts), URL path segments and
 * log lines, so only letters, digits and {@code . _ -}, in parts separated by single {@code /}
 * (as in {@code team/app}), at most {@value #MAX_LENGTH} characters, starting with a letter or
 * digit (docs/api.md, "Projects").
 */
public final class ProjectNames {
  public static final int MAX_LENGTH = 100;
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private ProjectNames() {}

  /** Why this is no project name, or null if it is one. */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "a project name must not be empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "a project name has at most " + MAX_LENGTH + " characters (this one has " + name.length() + ")";
    }
    for (String part : name.split("/", -1)) {
      if (!PART.matcher(part).matches() || part.equals("..") || part.endsWith(".")) {
        return "\"" + shown(name) + "\" is not a project name: use letters, digits and . _ - in parts separated by"
            + " single /, each starting with a letter or digit";
      }
    }
    return null;
  }

  /** The name as safe to repeat in a message (control characters out, shortened). */
  private static String shown(String name) {
    String printable = name.replaceAll("[\\p{Cntrl}]", "?");
    return printable.length() > 60 ? printable.substring(0, 57) + "..." : printable;
  }

  /** A valid name made from any text (a directory's name): other characters become '-'. */
  public static String from(String text) {
    String cleaned = text == null ? "" : text.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[^A-Za-z0-9]+", "")
        .replaceAll("[.]+$", "");
    if (cleaned.length() > MAX_LENGTH) {
      cleaned = cleaned.substring(0, MAX_LENGTH);
    }
    return cleaned.isEmpty() ? "project" : cleaned;
  }
}
