package org.buildswarm.protocol.pipeline.impl;

/**
 * Characters a name must not hold. Names (of pipelines, jobs, steps, the matrix values in job names)
 * end up in paths, logs, terminals and the UI, where a control character rewrites the screen, a bidi
 * control shows the name reversed and a zero-width character makes two different names look alike.
 * Ordinary letters of any script are fine.
 */
final class NameCharacters {
  private NameCharacters() {
  }

  /** Whether {@code codePoint} is one a name must not hold: Cc, Cf, Zl, Zp, or half a surrogate pair. */
  static boolean hidden(int codePoint) {
    int type = Character.getType(codePoint);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE;
  }

  /** The first character of {@code text} a name must not hold, or -1. */
  static int firstHidden(String text) {
    for (int i = 0; i < text.length(); ) {
      int codePoint = text.codePointAt(i);
      if (hidden(codePoint)) {
        return codePoint;
      }
      i += Character.charCount(codePoint);
    }
    return -1;
  }

  /** {@code text} with each character a name must not hold written as backslash-u{202E}, so a message shows it. */
  static String escaped(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    text.codePoints().forEach(codePoint -> {
      if (hidden(codePoint)) {
        out.append(String.format("\\u{%04X}", codePoint));
      } else {
        out.appendCodePoint(codePoint);
      }
    });
    return out.toString();
  }

  /** What {@code codePoint} is, for a message: "U+202E, a bidi control". */
  static String describe(int codePoint) {
    String kind;
    if (codePoint >= 0x202A && codePoint <= 0x202E || codePoint >= 0x2066 && codePoint <= 0x2069
        || codePoint == 0x200E || codePoint == 0x200F || codePoint == 0x061C) {
      kind = "a bidi control, which reorders how the text is shown";
    } else if (codePoint >= 0x200B && codePoint <= 0x200D || codePoint == 0x2060 || codePoint == 0xFEFF) {
      kind = "a zero-width character, which shows as nothing";
    } else if (Character.getType(codePoint) == Character.CONTROL) {
      kind = "a control character";
    } else if (Character.getType(codePoint) == Character.SURROGATE) {
      kind = "half of a surrogate pair";
    } else if (Character.getType(codePoint) == Character.FORMAT) {
      kind = "an invisible format character";
    } else {
      kind = "a line or paragraph separator";
    }
    return String.format("U+%04X, %s", codePoint, kind);
  }

  /**
   * The problem with {@code name} as a name, or null when it has none: {@code what} is how the
   * message starts ("pipeline name", "job \"test\": matrix value").
   */
  static String problem(String what, String name) {
    int codePoint = firstHidden(name);
    if (codePoint < 0) {
      return null;
    }
    return what + " \"" + escaped(name) + "\" holds " + describe(codePoint)
        + "; a name is shown in logs, paths and the UI, so it may not hold control, bidi or zero-width characters";
  }
}
