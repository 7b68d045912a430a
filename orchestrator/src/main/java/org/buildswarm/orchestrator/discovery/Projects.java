package org.buildswarm.orchestrator.discovery;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.buildswarm.protocol.pipeline.impl.Durations;
import org.buildswarm.protocol.trigger.Glob;

/**
 * Reads the projects file an orchestrator watches ({@code --projects}):
 *
 * <pre>
 * projects:
 *   shop:
 *     url: https://git.example.org/shop.git
 *     branches: [main, "release/*"]
 *     poll: 60s
 *     file: .buildswarm.yml
 * </pre>
 *
 * Mistakes are reported as {@code file:line:column: message}, all at once.
 */
public final class Projects {
  private static final Set<String> KEYS = Set.of("url", "branches", "poll", "file", "webhook-secret-file");

  private Projects() {}

  /** A projects file with problems; the message lists them all. */
  public static final class Invalid extends Exception {
    Invalid(String message) {
      super(message);
    }
  }

  public static List<Project> read(Path file) throws IOException, Invalid {
    String text = Files.readString(file);
    ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
    List<String> problems = new ArrayList<>();
    List<Project> projects = new ArrayList<>();
    var parser = mapper.getFactory().createParser(text);
    JsonNode root;
    try {
      root = mapper.readTree(parser);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      JsonLocation at = e.getLocation();
      throw new Invalid(file + ":" + (at == null ? 1 : at.getLineNr()) + ":" + (at == null ? 1 : at.getColumnNr()) + ": "
          + e.getOriginalMessage());
    }
    // Positions come from a second pass over the tokens: Jackson's tree keeps none.
    Map<String, int[]> positions = Positions.of(mapper, text);
    JsonNode list = root == null ? null : root.get("projects");
    if (!(list instanceof ObjectNode map) || map.isEmpty()) {
      throw new Invalid(file + ":1:1: a projects file needs a \"projects:\" mapping of names to {url, branches, poll, file}");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String where = "projects." + name;
      JsonNode project = entry.getValue();
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")) {
        problems.add(at(file, positions, where) + "project name \"" + name + "\" may hold only letters, digits, '_', '.', '-'");
        continue;
      }
      if (!(project instanceof ObjectNode fields)) {
        problems.add(at(file, positions, where) + "project \"" + name + "\" must be a mapping with url, branches, poll, file");
        continue;
      }
      fields.fieldNames().forEachRemaining(key -> {
        if (!KEYS.contains(key)) {
          problems.add(at(file, positions, where + "." + key) + "unknown field \"" + key + "\" in project \"" + name
              + "\"; allowed: branches, file, poll, url, webhook-secret-file");
        }
      });
      String url = fields.path("url").asText("");
      if (url.isBlank()) {
        problems.add(at(file, positions, where) + "project \"" + name + "\" needs a \"url\"");
      }
      List<Glob> branches = new ArrayList<>();
      JsonNode branchList = fields.get("branches");
      if (branchList == null) {
        branches.add(Glob.of("main"));
      } else {
        for (JsonNode branch : branchList.isArray() ? branchList : List.of(branchList)) {
          if (branch.isTextual() && !branch.asText().isEmpty() && !branch.asText().equals("!")) {
            branches.add(Glob.of(branch.asText()));
          } else {
            problems.add(at(file, positions, where + ".branches") + "\"branches\" takes a list of branch patterns");
          }
        }
      }
      long pollMs = Project.DEFAULT_POLL_MS;
      if (fields.has("poll")) {
        java.time.Duration poll = Durations.parse(fields.get("poll").asText());
        if (poll == null || poll.toMillis() < 1_000) {
          problems.add(at(file, positions, where + ".poll") + "\"poll\" must be a duration of at least 1s, like 30s or 5m");
        } else {
          pollMs = poll.toMillis();
        }
      }
      String pipelineFile = fields.path("file").asText(PipelineReader.DEFAULT_FILE);
      String secret = null;
      if (fields.has("webhook-secret-file")) {
        Path secretFile = file.resolveSibling(fields.get("webhook-secret-file").asText());
        try {
          secret = Files.readString(secretFile).trim();
          if (secret.length() < 16) {
            problems.add(at(file, positions, where + ".webhook-secret-file") + "the webhook secret in " + secretFile
                + " is shorter than 16 characters");
          }
        } catch (IOException e) {
          problems.add(at(file, positions, where + ".webhook-secret-file") + "cannot read " + secretFile + ": " + e);
        }
      }
      projects.add(new Project(name, url, branches, pollMs, pipelineFile, secret));
    }
    if (!problems.isEmpty()) {
      throw new Invalid(String.join("\n", problems));
    }
    return projects;
  }

  private static String at(Path file, Map<String, int[]> positions, String path) {
    int[] position = positions.getOrDefault(path, new int[] {1, 1});
    return file + ":" + position[0] + ":" + position[1] + ": ";
  }

  /** Where each key path (projects.shop.poll) is written in the file. */
  private static final class Positions {
    static Map<String, int[]> of(ObjectMapper mapper, String text) throws IOException {
      Map<String, int[]> positions = new java.util.HashMap<>();
      java.util.ArrayDeque<String> path = new java.util.ArrayDeque<>();
      try (var parser = mapper.getFactory().createParser(text)) {
        String pendingName = null;
        java.util.ArrayDeque<String> containers = new java.util.ArrayDeque<>();
        for (var token = parser.nextToken(); token != null; token = parser.nextToken()) {
          switch (token) {
            case FIELD_NAME -> {
              pendingName = parser.currentName();
              String full = containers.isEmpty() ? pendingName
                  : String.join(".", (Iterable<String>) () -> path.descendingIterator()) + (path.isEmpty() ? "" : ".")
                      + pendingName;
              JsonLocation at = parser.currentTokenLocation();
              positions.putIfAbsent(full, new int[] {at.getLineNr(), at.getColumnNr()});
            }
            case START_OBJECT, START_ARRAY -> {
              containers.push(token.name());
              if (pendingName != null) {
                path.push(pendingName);
              } else if (containers.size() > 1) {
                path.push("[]");
              }
              pendingName = null;
            }
            case END_OBJECT, END_ARRAY -> {
              containers.pop();
              if (!path.isEmpty() && containers.size() >= 1) {
                path.pop();
              }
            }
            default -> pendingName = null;
          }
        }
      }
      return positions;
    }
  }
}
