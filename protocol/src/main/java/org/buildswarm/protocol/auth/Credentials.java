package org.buildswarm.protocol.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.buildswarm.protocol.config.SettingsFile;

/**
 * A node's credentials on the event bus (docs/security.md). The control plane — orchestrators and
 * gateways — shares one secret; each drone holds a key of its own, derived from that secret and
 * its name, so the control plane can check any drone while a drone can speak only as itself. Every
 * message between nodes is sealed with one of these keys ({@link Envelopes}); a node without them
 * gets nothing done.
 */
public final class Credentials {
  /** Who holds them. */
  public enum Role { CONTROL, DRONE }

  private static final Pattern DRONE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  private static final int SECRET_BYTES = 32;

  private final Role role;
  private final String drone;
  private final byte[] key;

  private Credentials(Role role, String drone, byte[] key) {
    this.role = role;
    this.drone = drone;
    this.key = key.clone();
  }

  /** New credentials for the control plane of a new swarm: a random secret. */
  public static Credentials newSwarm(SecureRandom random) {
    byte[] secret = new byte[SECRET_BYTES];
    random.nextBytes(secret);
    return new Credentials(Role.CONTROL, null, secret);
  }

  /** The control plane's credentials with this secret (tests, and a single host that keeps it in its state). */
  public static Credentials control(byte[] secret) {
    if (secret.length < 16) {
      throw new IllegalArgumentException("a control secret has at least 16 bytes");
    }
    return new Credentials(Role.CONTROL, null, secret);
  }

  /** A drone's credentials, made by the control plane: they let it speak as {@code name} and no one else. */
  public Credentials forDrone(String name) {
    requireControl("make a drone's credentials");
    if (name == null || !DRONE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a drone name starts with a letter or digit and holds only letters, digits, "
          + "'_', '.' and '-' (at most 100)");
    }
    return new Credentials(Role.DRONE, name, droneKey(name));
  }

  public Role role() {
    return role;
  }

  /** The drone these credentials speak for; null for the control plane. */
  public String drone() {
    return drone;
  }

  /** How these credentials sign: "control", or "drone NAME". */
  public String identity() {
    return role == Role.CONTROL ? "control" : "drone " + drone;
  }

  /** The key a drone's messages are sealed with, and the control plane's messages to it (control plane only). */
  public byte[] droneKey(String name) {
    requireControl("derive a drone's key");
    return derive("buildswarm drone\0" + name);
  }

  /** This node's own key: the control secret, or the drone's key. */
  byte[] ownKey() {
    return key.clone();
  }

  /**
   * The key of the job tokens the control plane mints for each attempt (control plane only):
   * derived from the control secret, which no drone holds, so no drone can mint one.
   */
  public byte[] jobTokenKey() {
    requireControl("mint job tokens");
    return derive("buildswarm job tokens\0");
  }

  private byte[] derive(String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  private void requireControl(String what) {
    if (role != Role.CONTROL) {
      throw new IllegalStateException("only the control plane's credentials " + what);
    }
  }

  /** Writes them to a new file readable by its owner only (mode 600). */
  public void write(Path file) throws IOException {
    String text = (role == Role.CONTROL
        ? "# buildswarm credentials of the control plane (orchestrators and gateways).\n"
            + "# Keep them secret: with them anyone can act as any node of the swarm.\n"
            + "role: control\n"
        : "# buildswarm credentials of drone " + drone + ": they let it speak as this drone, and only as it.\n"
            + "role: drone\ndrone: " + drone + "\n")
        + "key: " + Base64.getUrlEncoder().withoutPadding().encodeToString(key) + "\n";
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** Reads a credentials file; a bad one is refused with its file, line and column. */
  public static Credentials read(Path file) throws IOException, SettingsFile.SettingsException {
    SettingsFile settings = SettingsFile.read(file);
    settings.checkKnown(java.util.Set.of("role", "drone", "key"));
    Map<String, SettingsFile.Setting> values = settings.settings();
    SettingsFile.Setting role = required(file, values, "role");
    SettingsFile.Setting key = required(file, values, "key");
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(key.value().trim());
    } catch (IllegalArgumentException e) {
      throw new SettingsFile.SettingsException(file, key.location(), "\"key\" is not base64: " + e.getMessage());
    }
    if (bytes.length < 16) {
      throw new SettingsFile.SettingsException(file, key.location(), "\"key\" is too short to be a buildswarm key");
    }
    switch (role.value()) {
      case "control" -> {
        return new Credentials(Role.CONTROL, null, bytes);
      }
      case "drone" -> {
        SettingsFile.Setting name = required(file, values, "drone");
        if (!DRONE_NAME.matcher(name.value()).matches()) {
          throw new SettingsFile.SettingsException(file, name.location(), "\"" + name.value() + "\" is not a drone name");
        }
        return new Credentials(Role.DRONE, name.value(), bytes);
      }
      default -> throw new SettingsFile.SettingsException(file, role.location(), "\"role\" is control or drone, not \""
          + role.value() + "\"");
    }
  }

  private static SettingsFile.Setting required(Path file, Map<String, SettingsFile.Setting> values, String name)
      throws SettingsFile.SettingsException {
    SettingsFile.Setting setting = values.get(name);
    if (setting == null || setting.value().isBlank()) {
      throw new SettingsFile.SettingsException(file, new org.buildswarm.protocol.pipeline.SourceLocation(1, 1),
          "\"" + name + "\" is required in a credentials file");
    }
    return setting;
  }
}
