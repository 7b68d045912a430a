package org.buildswarm.deploy.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.Secrets;

/**
 * The single-host swarm's state directory ({@code ./.buildswarm} by default): the H2 store, job
 * logs, the local drone's work area, the secrets (readable by the owner only) and
 * {@code endpoint.json}, which lets {@code swarm run} find the running swarm.
 */
public final class StateDirectory {
  public static final String DEFAULT_NAME = ".buildswarm";
  public static final String ENDPOINT_FILE = "endpoint.json";
  public static final String ADMIN_TOKEN_FILE = "admin.token";
  /** The swarm's control credentials (job tokens are keyed from them). */
  public static final String CREDENTIALS_FILE = "credentials";

  /** Where a running swarm can be reached. */
  public record Endpoint(String url, long pid) {}

  private final Path root;

  public StateDirectory(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  public Path resolve(String name) {
    return root.resolve(name);
  }

  /** Creates it, readable by its owner only: it holds the store, the logs, tokens and credentials. */
  public void create() throws IOException {
    Files.createDirectories(root);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
  }

  /** The swarm's control credentials, made (mode 600) the first time. */
  public org.buildswarm.protocol.auth.Credentials credentials() throws IOException {
    Path file = root.resolve(CREDENTIALS_FILE);
    if (!Files.exists(file)) {
      org.buildswarm.protocol.auth.Credentials.newSwarm(new SecureRandom()).write(file);
    }
    try {
      return org.buildswarm.protocol.auth.Credentials.read(file);
    } catch (org.buildswarm.protocol.config.SettingsFile.SettingsException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Reads a secret file, creating it with a new random token (mode 600) the first time. */
  public String secret(String name) throws IOException {
    Path file = root.resolve(name);
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    String token = Secrets.newToken(new SecureRandom());
    writeAtomically(file, token + "\n", true);
    return token;
  }

  public void writeEndpoint(Endpoint endpoint) throws IOException {
    writeAtomically(root.resolve(ENDPOINT_FILE), ProtocolJson.toJson(endpoint) + "\n", false);
  }

  public void removeEndpoint() {
    try {
      Files.deleteIfExists(root.resolve(ENDPOINT_FILE));
    } catch (IOException e) {
      // best effort on the way out
    }
  }

  /**
   * Where {@code swarm up --data DIR} notes its state directory, so {@code swarm run} and
   * {@code swarm status} find it from anywhere: {@code $XDG_STATE_HOME/buildswarm/swarm}, by default
   * {@code ~/.local/state/buildswarm/swarm}.
   */
  public static Path pointerFile(java.util.Map<String, String> environment) {
    String stateHome = environment.get("XDG_STATE_HOME");
    Path base = stateHome != null && !stateHome.isBlank() ? Path.of(stateHome)
        : Path.of(environment.getOrDefault("HOME", System.getProperty("user.home")), ".local", "state");
    return base.resolve("buildswarm").resolve("swarm");
  }

  /** Notes this directory in {@code pointer} (a swarm started with a state directory elsewhere). */
  public void pointFrom(Path pointer) throws IOException {
    Files.createDirectories(pointer.getParent());
    writeAtomically(pointer, root.toAbsolutePath().normalize() + "\n", false);
  }

  /** Removes {@code pointer} if it names this directory (a later swarm's stays). */
  public void unpointFrom(Path pointer) {
    try {
      if (Files.isRegularFile(pointer)
          && Path.of(Files.readString(pointer).trim()).equals(root.toAbsolutePath().normalize())) {
        Files.delete(pointer);
      }
    } catch (IOException | java.nio.file.InvalidPathException e) {
      // best effort on the way out
    }
  }

  /** The running swarm a pointer names, if its process still runs. */
  public static Optional<StateDirectory> pointedAt(Path pointer) {
    try {
      StateDirectory state = new StateDirectory(Path.of(Files.readString(pointer).trim()));
      return state.endpoint().filter(endpoint -> ProcessHandle.of(endpoint.pid()).map(ProcessHandle::isAlive)
          .orElse(false)).map(endpoint -> state);
    } catch (IOException | java.nio.file.InvalidPathException e) {
      return Optional.empty();
    }
  }

  /** The state directory of a running swarm in {@code start} or one of its parents, if any. */
  public static Optional<StateDirectory> findFrom(Path start) {
    for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(DEFAULT_NAME).resolve(ENDPOINT_FILE))) {
        return Optional.of(new StateDirectory(dir.resolve(DEFAULT_NAME)));
      }
    }
    return Optional.empty();
  }

  public Optional<Endpoint> endpoint() {
    Path file = root.resolve(ENDPOINT_FILE);
    try {
      return Optional.of(ProtocolJson.fromBytes(Files.readAllBytes(file), Endpoint.class));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static void writeAtomically(Path file, String content, boolean secret) throws IOException {
    Path temp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
    try {
      if (secret) {
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      }
      Files.writeString(temp, content, StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
