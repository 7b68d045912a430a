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
 *     forge: {kind: github, token-file: github.token}   # commit statuses
 *     notify: {url: https://chat.example.org/hook, secret-file: notify.secret}
 * </pre>
 *
 * Mistakes are reported as {@code file:line:column: message}, all at once.
 */
public final class Projects {
  private static final Set<String> KEYS = Set.of("url", "branches", "poll", "file", "webhook-secret-file", "forge",
      "notify", "credentials");
  private static final Set<String> CREDENTIAL_KEYS = Set.of("username", "password-file", "token-file", "ssh-key-file",
      "known-hosts-file");
  private static final Set<String> FORGE_KEYS = Set.of("kind", "api", "repository", "token-file", "context", "per-job",
      "web-url");
  private static final Set<String> NOTIFY_KEYS = Set.of("url", "secret-file");

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
              + "\"; allowed: branches, credentials, file, forge, notify, poll, url, webhook-secret-file");
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
      Forge forge = fields.has("forge") ? forge(file, positions, where + ".forge", fields.get("forge"), url, problems) : null;
      Notifier notifier = fields.has("notify")
          ? notifier(file, positions, where + ".notify", fields.get("notify"), problems) : null;
      org.buildswarm.protocol.message.GitCredentials credentials = fields.has("credentials")
          ? credentials(file, positions, where + ".credentials", fields.get("credentials"), url, problems) : null;
      projects.add(new Project(name, url, branches, pollMs, pipelineFile, secret, forge, notifier, credentials));
    }
    if (!problems.isEmpty()) {
      throw new Invalid(String.join("\n", problems));
    }
    return projects;
  }

  /** Whether two URLs name one repository (scheme and host case, ".git" and a trailing slash aside). */
  public static boolean sameRepository(String one, String other) {
    return one != null && other != null && Webhooks.normalize(one).equals(Webhooks.normalize(other));
  }

  private static Forge forge(Path file, Map<String, int[]> positions, String where, JsonNode node, String url,
      List<String> problems) {
    if (!(node instanceof ObjectNode fields)) {
      problems.add(at(file, positions, where) + "\"forge\" must be a mapping with kind and token-file");
      return null;
    }
    unknownKeys(file, positions, where, fields, FORGE_KEYS, problems);
    Forge.Kind kind;
    try {
      kind = Forge.Kind.valueOf(fields.path("kind").asText("").toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add(at(file, positions, where + (fields.has("kind") ? ".kind" : "")) + "\"forge.kind\" is github or gitea");
      return null;
    }
    String api = fields.path("api").asText("");
    if (api.isBlank()) {
      if (kind == Forge.Kind.GITEA) {
        problems.add(at(file, positions, where) + "a gitea forge needs \"api\", like https://gitea.example.org/api/v1");
        return null;
      }
      api = Forge.DEFAULT_GITHUB_API;
    } else if (!api.startsWith("https://") && !api.startsWith("http://")) {
      problems.add(at(file, positions, where + ".api") + "\"forge.api\" is an http(s) URL");
      return null;
    }
    String repository = fields.path("repository").asText("");
    if (repository.isBlank()) {
      repository = Webhooks.ownerAndName(url);
      if (repository == null) {
        problems.add(at(file, positions, where) + "cannot tell owner/name from the url; give \"forge.repository\"");
        return null;
      }
    } else if (!repository.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
      problems.add(at(file, positions, where + ".repository") + "\"forge.repository\" is owner/name");
      return null;
    }
    String token = readSecret(file, positions, where, fields, "token-file", 1, problems);
    if (token == null) {
      return null;
    }
    String webUrl = fields.path("web-url").asText("");
    return new Forge(kind, api.replaceAll("/+$", ""), repository, token, fields.path("context").asText(Forge.DEFAULT_CONTEXT),
        fields.path("per-job").asBoolean(false), webUrl.isBlank() ? null : webUrl.replaceAll("/+$", "") + "/");
  }

  private static org.buildswarm.protocol.message.GitCredentials credentials(Path file, Map<String, int[]> positions,
      String where, JsonNode node, String url, List<String> problems) {
    if (!(node instanceof ObjectNode fields)) {
      problems.add(at(file, positions, where) + "\"credentials\" must be a mapping: token-file, or username and "
          + "password-file, or ssh-key-file and known-hosts-file");
      return null;
    }
    unknownKeys(file, positions, where, fields, CREDENTIAL_KEYS, problems);
    boolean ssh = url.startsWith("ssh://") || url.matches("[^/:]+@[^/:]+:.*");
    if (fields.has("ssh-key-file")) {
      if (!ssh) {
        problems.add(at(file, positions, where + ".ssh-key-file") + "an SSH key is for ssh:// and user@host:path URLs, not "
            + url);
        return null;
      }
      String key = readSecret(file, positions, where, fields, "ssh-key-file", 1, problems);
      if (!fields.has("known-hosts-file")) {
        problems.add(at(file, positions, where) + "\"known-hosts-file\" is required with an SSH key (the server's key "
            + "must be known: ssh-keyscan HOST > FILE, then check it)");
        return null;
      }
      String knownHosts = readSecret(file, positions, where, fields, "known-hosts-file", 1, problems);
      return key == null || knownHosts == null ? null
          : new org.buildswarm.protocol.message.GitCredentials(null, null, key, knownHosts);
    }
    if (ssh) {
      problems.add(at(file, positions, where) + "an ssh URL needs \"ssh-key-file\" and \"known-hosts-file\"");
      return null;
    }
    String secretKey = fields.has("token-file") ? "token-file" : "password-file";
    String secret = readSecret(file, positions, where, fields, secretKey, 1, problems);
    return secret == null ? null
        : new org.buildswarm.protocol.message.GitCredentials(fields.path("username").asText("git"), secret, null, null);
  }

  private static Notifier notifier(Path file, Map<String, int[]> positions, String where, JsonNode node,
      List<String> problems) {
    if (!(node instanceof ObjectNode fields)) {
      problems.add(at(file, positions, where) + "\"notify\" must be a mapping with url and secret-file");
      return null;
    }
    unknownKeys(file, positions, where, fields, NOTIFY_KEYS, problems);
    String target = fields.path("url").asText("");
    if (!target.startsWith("https://") && !target.startsWith("http://")) {
      problems.add(at(file, positions, where + (fields.has("url") ? ".url" : "")) + "\"notify.url\" is an http(s) URL");
      return null;
    }
    String secret = readSecret(file, positions, where, fields, "secret-file", 16, problems);
    return secret == null ? null : new Notifier(target, secret);
  }

  private static void unknownKeys(Path file, Map<String, int[]> positions, String where, ObjectNode fields,
      Set<String> known, List<String> problems) {
    fields.fieldNames().forEachRemaining(key -> {
      if (!known.contains(key)) {
        problems.add(at(file, positions, where + "." + key) + "unknown field \"" + key + "\"; allowed: "
            + String.join(", ", new java.util.TreeSet<>(known)));
      }
    });
  }

  /** A secret kept in a file next to the projects file (the file itself holds no secrets). */
  private static String readSecret(Path file, Map<String, int[]> positions, String where, ObjectNode fields, String key,
      int minLength, List<String> problems) {
    if (!fields.hasNonNull(key)) {
      problems.add(at(file, positions, where) + "\"" + key + "\" is required");
      return null;
    }
    Path secretFile = file.resolveSibling(fields.get(key).asText());
    try {
      String secret = Files.readString(secretFile).trim();
      if (secret.length() < minLength) {
        problems.add(at(file, positions, where + "." + key) + secretFile + " is "
            + (secret.isEmpty() ? "empty" : "shorter than " + minLength + " characters"));
        return null;
      }
      return secret;
    } catch (IOException e) {
      problems.add(at(file, positions, where + "." + key) + "cannot read " + secretFile + ": " + e.getMessage());
      return null;
    }
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
