package org.buildswarm.deploy.impl;

/** Text from the swarm as a terminal should show it. */
public final class Terminal {
  private Terminal() {
  }

  /**
   * {@code text} with what a terminal would not show as itself written as backslash-u{202E}: control
   * characters (escape sequences recolour or rewrite the screen), bidi controls (a name shown
   * reversed), zero-width and other format characters, unassigned code points. A name built from a
   * matrix value or a commit's title can hold any of them.
   */
  public static String shown(String text) {
    if (text == null) {
      return null;
    }
    StringBuilder out = null;
    for (int i = 0; i < text.length(); ) {
      int codePoint = text.codePointAt(i);
      int type = Character.getType(codePoint);
      boolean hidden = type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
          || type == Character.PRIVATE_USE || type == Character.SURROGATE || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR;
      if (hidden && out == null) {
        out = new StringBuilder(text.length() + 8).append(text, 0, i);
      }
      if (out != null) {
        if (hidden) {
          out.append(String.format("\\u{%04X}", codePoint));
        } else {
          out.appendCodePoint(codePoint);
        }
      }
      i += Character.charCount(codePoint);
    }
    return out == null ? text : out.toString();
  }
}
