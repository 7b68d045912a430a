package org.buildswarm.protocol.pipeline.impl;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.pipeline.SourceLocation;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ListNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ScalarNode;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads one YAML document into {@link YamlNode}s that remember where each value was written.
 *
 * <p>Jackson's streaming parser reports positions but neither rejects duplicate keys nor expands
 * aliases, so both are done here: duplicates are an error at the second key, and aliases are
 * expanded (with {@code <<} merge keys) under a node budget that stops "billion laughs" files.
 */
public final class YamlTreeReader {
  private final List<YamlError> problems = new ArrayList<>();
  /** A YAML problem at a position; the first one ends reading. */
  public static final class YamlError extends Exception {
    private static final long serialVersionUID = 1L;
    private final SourceLocation location;

    YamlError(SourceLocation location, String message) {
      super(message, null, false, false);
      this.location = location;
    }

    public SourceLocation location() {
      return location;
    }
  }

  private static final String MERGE_KEY = "<<";

  private final PipelineLimits limits;
  private final YAMLFactory factory;
  private final Map<String, YamlNode> anchors = new HashMap<>();
  private long aliasNodes;

  public YamlTreeReader(PipelineLimits limits) {
    this.limits = limits;
    LoaderOptions loaderOptions = new LoaderOptions();
    loaderOptions.setCodePointLimit(Math.max(limits.maxBytes(), 1) * 2);
    this.factory = YAMLFactory.builder().loaderOptions(loaderOptions).build();
  }

  /** Reads the text's only document; an empty document reads as a null scalar. */
  /**
   * Problems that did not stop reading (a duplicate key: the first definition is kept), so the
   * rest of the file is still checked and every problem reported at once.
   */
  public List<YamlError> problems() {
    return List.copyOf(problems);
  }

  public YamlNode read(String text) throws YamlError {
    anchors.clear();
    problems.clear();
    aliasNodes = 0;
    try (YAMLParser parser = (YAMLParser) factory.createParser(new StringReader(text))) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return new ScalarNode("", ScalarNode.Kind.NULL, SourceLocation.START);
      }
      YamlNode root = readValue(parser, 0);
      JsonToken extra = parser.nextToken();
      if (extra != null) {
        throw new YamlError(location(parser.currentTokenLocation()),
            "a pipeline file holds one YAML document, but a second one starts here");
      }
      return root;
    } catch (StreamReadException e) {
      throw syntaxError(e);
    } catch (IOException e) {
      throw new YamlError(SourceLocation.START, "cannot read YAML: " + e.getMessage());
    }
  }

  private YamlNode readValue(YAMLParser parser, int depth) throws IOException, YamlError {
    JsonToken token = parser.currentToken();
    SourceLocation at = location(parser.currentTokenLocation());
    if (parser.isCurrentAlias()) {
      return resolveAlias(parser.getText(), at);
    }
    String anchor = parser.getObjectId();
    YamlNode node = switch (token) {
      case START_OBJECT -> readMap(parser, depth + 1, at);
      case START_ARRAY -> readList(parser, depth + 1, at);
      // An empty value ("key:") arrives as an empty string; YAML means null by it.
      case VALUE_STRING -> parser.getText().isEmpty()
          ? new ScalarNode("", ScalarNode.Kind.NULL, at)
          : new ScalarNode(parser.getText(), ScalarNode.Kind.STRING, at);
      case VALUE_NUMBER_INT -> new ScalarNode(parser.getText(), ScalarNode.Kind.INT, at);
      case VALUE_NUMBER_FLOAT -> new ScalarNode(parser.getText(), ScalarNode.Kind.FLOAT, at);
      case VALUE_TRUE, VALUE_FALSE -> new ScalarNode(parser.getText(), ScalarNode.Kind.BOOLEAN, at);
      case VALUE_NULL -> new ScalarNode("", ScalarNode.Kind.NULL, at);
      default -> throw new YamlError(at, "unexpected YAML content (" + token + ")");
    };
    if (anchor != null) {
      anchors.put(anchor, node);
    }
    return node;
  }

  private MapNode readMap(YAMLParser parser, int depth, SourceLocation at) throws IOException, YamlError {
    checkDepth(depth, at);
    Map<String, Entry> entries = new LinkedHashMap<>();
    List<YamlNode> merges = new ArrayList<>();
    int size = 1;
    JsonToken token;
    while ((token = parser.nextToken()) != JsonToken.END_OBJECT) {
      if (token != JsonToken.FIELD_NAME) {
        throw new YamlError(location(parser.currentTokenLocation()), "expected a key");
      }
      String key = parser.currentName();
      SourceLocation keyAt = location(parser.currentTokenLocation());
      parser.nextToken();
      YamlNode value = readValue(parser, depth);
      size += value.size();
      if (MERGE_KEY.equals(key)) {
        merges.add(value);
        continue;
      }
      Entry previous = entries.get(key);
      if (previous != null) {
        problems.add(new YamlError(keyAt, "duplicate key \"" + key + "\" (first defined at line "
            + previous.keyLocation().line() + ", column " + previous.keyLocation().column() + ")"));
        continue;
      }
      entries.put(key, new Entry(key, keyAt, value));
    }
    for (YamlNode merge : merges) {
      size += mergeInto(entries, merge);
    }
    return new MapNode(java.util.Collections.unmodifiableMap(entries), at, size);
  }

  /** YAML merge keys: explicit keys win, earlier merged mappings win over later ones. */
  private int mergeInto(Map<String, Entry> entries, YamlNode merge) throws YamlError {
    int added = 0;
    if (merge instanceof MapNode map) {
      for (Entry entry : map.entries().values()) {
        if (entries.putIfAbsent(entry.key(), entry) == null) {
          added += entry.value().size();
        }
      }
    } else if (merge instanceof ListNode list) {
      for (YamlNode item : list.items()) {
        if (!(item instanceof MapNode)) {
          throw new YamlError(item.location(), "a merge key (<<) takes mappings, not " + item.describe());
        }
        added += mergeInto(entries, item);
      }
    } else {
      throw new YamlError(merge.location(), "a merge key (<<) takes a mapping, not " + merge.describe());
    }
    return added;
  }

  private ListNode readList(YAMLParser parser, int depth, SourceLocation at) throws IOException, YamlError {
    checkDepth(depth, at);
    List<YamlNode> items = new ArrayList<>();
    int size = 1;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      YamlNode item = readValue(parser, depth);
      size += item.size();
      items.add(item);
    }
    return new ListNode(List.copyOf(items), at, size);
  }

  private YamlNode resolveAlias(String anchor, SourceLocation at) throws YamlError {
    YamlNode target = anchors.get(anchor);
    if (target == null) {
      throw new YamlError(at, "alias *" + anchor + " refers to no anchor &" + anchor + " defined before it");
    }
    aliasNodes += target.size();
    if (aliasNodes > limits.maxAliasNodes()) {
      throw new YamlError(at, "YAML aliases expand to more than " + limits.maxAliasNodes()
          + " nodes (an alias bomb?); write the values out or use fewer aliases");
    }
    return target;
  }

  private void checkDepth(int depth, SourceLocation at) throws YamlError {
    if (depth > limits.maxDepth()) {
      throw new YamlError(at, "YAML nested deeper than " + limits.maxDepth() + " levels");
    }
  }

  private static YamlError syntaxError(StreamReadException e) {
    if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
      Mark mark = marked.getProblemMark();
      String problem = marked.getProblem() == null ? "invalid YAML" : marked.getProblem();
      String context = marked.getContext();
      String message = "YAML syntax error: " + problem + (context == null ? "" : " (" + context + ")");
      return new YamlError(new SourceLocation(mark.getLine() + 1, mark.getColumn() + 1), message);
    }
    JsonLocation where = e.getLocation();
    String message = e.getOriginalMessage();
    int newline = message == null ? -1 : message.indexOf('\n');
    if (newline > 0) {
      message = message.substring(0, newline);
    }
    return new YamlError(where == null ? SourceLocation.START : location(where), "YAML syntax error: " + message);
  }

  private static SourceLocation location(JsonLocation where) {
    return new SourceLocation(Math.max(1, where.getLineNr()), Math.max(1, where.getColumnNr()));
  }

}
