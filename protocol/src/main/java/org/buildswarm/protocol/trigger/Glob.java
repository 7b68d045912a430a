package org.buildswarm.protocol.trigger;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Branch, tag and path patterns as pipeline authors know them from other CI systems: {@code *}
 * matches within one path segment, {@code **} across segments, {@code ?} one character; a list is
 * read in order, a pattern starting with {@code !} excludes what earlier ones included, and the
 * last pattern that matches decides.
 */
public final class Glob {
  private final String pattern;
  private final boolean negated;
  private final Pattern regex;

  private Glob(String pattern) {
    this.pattern = pattern;
    this.negated = pattern.startsWith("!");
    this.regex = Pattern.compile(toRegex(negated ? pattern.substring(1) : pattern));
  }

  /** @throws IllegalArgumentException for an empty pattern */
  public static Glob of(String pattern) {
    if (pattern == null || pattern.isEmpty() || pattern.equals("!")) {
      throw new IllegalArgumentException("a pattern must not be empty");
    }
    return new Glob(pattern);
  }

  public String pattern() {
    return pattern;
  }

  public boolean negated() {
    return negated;
  }

  /** True if the text matches, ignoring any {@code !}. */
  public boolean matchesText(String text) {
    return regex.matcher(text).matches();
  }

  /** True if the last pattern of the list that matches the text is not a {@code !} one. */
  public static boolean anyMatches(List<Glob> globs, String text) {
    boolean matched = false;
    for (Glob glob : globs) {
      if (glob.matchesText(text)) {
        matched = !glob.negated;
      }
    }
    return matched;
  }

  private static String toRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          i++;
          // "**/" also matches no folder at all: "src/**/x" matches "src/x".
          if (i + 1 < glob.length() && glob.charAt(i + 1) == '/') {
            i++;
            regex.append("(?:.*/)?");
          } else {
            regex.append(".*");
          }
        } else {
          regex.append("[^/]*");
        }
      } else if (c == '?') {
        regex.append("[^/]");
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return regex.toString();
  }

  @Override
  public String toString() {
    return pattern;
  }
}
