package org.buildswarm.protocol.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.pipeline.SourceLocation;
import org.buildswarm.protocol.pipeline.impl.YamlNode;
import org.buildswarm.protocol.pipeline.impl.YamlTreeReader;

/**
 * A node's settings file ({@code /etc/buildswarm/drone.yml} and the like): a flat YAML mapping of
 * setting names to values or lists of values. Every value remembers where it was written, so a bad
 * one is reported as {@code file:line:column}.
 */
public final class SettingsFile {
  /** A value (lists joined with commas) and where it is. */
  public record Setting(String value, SourceLocation location) {}

  /** A problem in a settings file, with its position. */
  public static final class SettingsException extends Exception {
    private static final long serialVersionUID = 1L;

    public SettingsException(Path file, SourceLocation at, String message) {
      super(file + ":" + at.line() + ":" + at.column() + ": " + message);
    }
  }

  private final Path file;
  private final Map<String, Setting> settings;

  private SettingsFile(Path file, Map<String, Setting> settings) {
    this.file = file;
    this.settings = Collections.unmodifiableMap(settings);
  }

  public static SettingsFile read(Path file) throws IOException, SettingsException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    YamlNode root;
    try {
      root = new YamlTreeReader(PipelineLimits.defaults()).read(text);
    } catch (YamlTreeReader.YamlError e) {
      throw new SettingsException(file, e.location(), e.getMessage());
    }
    Map<String, Setting> settings = new LinkedHashMap<>();
    if (root instanceof YamlNode.ScalarNode scalar && scalar.isNull()) {
      return new SettingsFile(file, settings);
    }
    if (!(root instanceof YamlNode.MapNode map)) {
      throw new SettingsException(file, root.location(), "a settings file is a mapping of setting names to values");
    }
    for (YamlNode.Entry entry : map.entries().values()) {
      YamlNode value = entry.value();
      if (value instanceof YamlNode.ScalarNode scalar) {
        settings.put(entry.key(), new Setting(scalar.isNull() ? "" : scalar.text(), scalar.location()));
      } else if (value instanceof YamlNode.ListNode list) {
        List<String> items = new ArrayList<>();
        for (YamlNode item : list.items()) {
          if (!(item instanceof YamlNode.ScalarNode scalar) || scalar.isNull()) {
            throw new SettingsException(file, item.location(), "\"" + entry.key() + "\" takes single values, not "
                + item.describe());
          }
          items.add(scalar.text());
        }
        settings.put(entry.key(), new Setting(String.join(",", items), value.location()));
      } else {
        throw new SettingsException(file, value.location(), "\"" + entry.key() + "\" takes a value or a list, not "
            + value.describe());
      }
    }
    return new SettingsFile(file, settings);
  }

  public Path file() {
    return file;
  }

  public Map<String, Setting> settings() {
    return settings;
  }

  /** Refuses any setting not in {@code known}, naming the closest known one. */
  public void checkKnown(Set<String> known) throws SettingsException {
    for (Map.Entry<String, Setting> setting : settings.entrySet()) {
      if (!known.contains(setting.getKey())) {
        throw new SettingsException(file, setting.getValue().location(), "unknown setting \"" + setting.getKey() + "\""
            + org.buildswarm.protocol.pipeline.impl.PipelineBinder.suggestion(setting.getKey(), known)
            + "; known: " + String.join(", ", known.stream().sorted().toList()));
      }
    }
  }
}
