package org.buildswarm.protocol;

import java.util.regex.Pattern;

/**
 * The one rule for names in the artifact repository (projects, artifacts, versions, channels) and
 * for paths a job declares: safe as a single path segment everywhere, so no name can climb out of
 * the repository or the workspace.
 */
public final class ArtifactNames {
  private ArtifactNames() {}

  /** A letter or digit, then letters, digits, '.', '_', '+' or '-'; at most 128; never "." or "..". */
  public static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

  public static boolean isSegment(String text) {
    return text != null && SEGMENT.matcher(text).matches() && !text.contains("..");
  }

  /** Why {@code path} cannot name a file in a workspace, or null when it can. */
  public static String pathProblem(String path) {
    if (path == null || path.isBlank()) {
      return "is empty";
    }
    if (path.indexOf('\0') >= 0) {
      return "contains a NUL byte";
    }
    if (path.startsWith("/") || path.startsWith("~") || path.contains("\\")) {
      return "must be relative to the workspace, with '/' between directories";
    }
    for (String part : path.split("/", -1)) {
      if (part.equals("..")) {
        return "must not climb out of the workspace with \"..\"";
      }
      if (part.isEmpty() || part.equals(".")) {
        return "has an empty or \".\" part";
      }
    }
    return path.length() > 1024 ? "is longer than 1024 characters" : null;
  }

  /** The default artifact name for a path: its file name. */
  public static String defaultName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
