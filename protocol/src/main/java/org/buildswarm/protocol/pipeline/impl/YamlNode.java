package org.buildswarm.protocol.pipeline.impl;

import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.pipeline.SourceLocation;

/** A YAML value with the position it was read from. */
public sealed interface YamlNode {
  SourceLocation location();

  /** Nodes in this subtree, so alias expansion can be bounded. */
  int size();

  /** A short name of the node's kind for error messages ("a list", "a mapping", "the number 3"). */
  String describe();

  /** A key with its own position, and its value. */
  record Entry(String key, SourceLocation keyLocation, YamlNode value) {}

  /** A mapping; entries keep file order. */
  record MapNode(Map<String, Entry> entries, SourceLocation location, int size) implements YamlNode {
    @Override
    public String describe() {
      return "a mapping";
    }
  }

  record ListNode(List<YamlNode> items, SourceLocation location, int size) implements YamlNode {
    @Override
    public String describe() {
      return "a list";
    }
  }

  /** A scalar; {@code kind} tells a quoted "3" (STRING) from a plain 3 (INT). */
  record ScalarNode(String text, Kind kind, SourceLocation location) implements YamlNode {
    public enum Kind {
      STRING,
      INT,
      FLOAT,
      BOOLEAN,
      NULL
    }

    @Override
    public int size() {
      return 1;
    }

    @Override
    public String describe() {
      return switch (kind) {
        case NULL -> "nothing (null)";
        case STRING -> "the text \"" + abbreviate(text) + "\"";
        case INT, FLOAT -> "the number " + abbreviate(text);
        case BOOLEAN -> "the boolean " + text;
      };
    }

    public boolean isNull() {
      return kind == Kind.NULL;
    }

    private static String abbreviate(String text) {
      return NameCharacters.escaped(text.length() > 40 ? text.substring(0, 37) + "..." : text);
    }
  }
}
