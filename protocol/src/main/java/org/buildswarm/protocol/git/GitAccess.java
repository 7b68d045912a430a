package org.buildswarm.protocol.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.buildswarm.protocol.message.GitCredentials;
import org.eclipse.jgit.api.TransportCommand;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.JGitKeyCache;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

/**
 * Gives a JGit command (ls-remote, clone, fetch) the credentials of a private repository: a user
 * and password for HTTPS, or an SSH key with known host keys through JGit's Apache MINA sshd
 * module. The key and known hosts are written (0600) under a directory of the caller's that no job
 * can see; nothing of the process user's {@code ~/.ssh} is used, and an unknown host key is refused.
 */
public final class GitAccess {
  private final Path sshDirectory;
  private final Map<String, SshdSessionFactory> factories = new ConcurrentHashMap<>();

  /** @param sshDirectory where keys and known hosts are written for the SSH client (private to this process) */
  public GitAccess(Path sshDirectory) {
    this.sshDirectory = sshDirectory;
  }

  /** Configures {@code command} for {@code credentials}; null leaves it anonymous. */
  public <C extends TransportCommand<C, ?>> C apply(C command, GitCredentials credentials) {
    if (credentials == null) {
      return command;
    }
    if (credentials.ssh()) {
      SshdSessionFactory factory = factories.computeIfAbsent(fingerprint(credentials), id -> factory(id, credentials));
      command.setTransportConfigCallback(transport -> {
        if (transport instanceof SshTransport ssh) {
          ssh.setSshSessionFactory(factory);
        }
      });
    } else {
      command.setCredentialsProvider(new UsernamePasswordCredentialsProvider(
          credentials.username() == null || credentials.username().isBlank() ? "git" : credentials.username(),
          credentials.password() == null ? "" : credentials.password()));
    }
    return command;
  }

  private SshdSessionFactory factory(String id, GitCredentials credentials) {
    try {
      Path directory = sshDirectory.resolve(id);
      Files.createDirectories(directory);
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
      Path key = privateFile(directory.resolve("id"), credentials.sshKey().strip() + "\n");
      Path knownHosts = privateFile(directory.resolve("known_hosts"),
          credentials.knownHosts() == null ? "" : credentials.knownHosts().strip() + "\n");
      return new SshdSessionFactoryBuilder()
          .setHomeDirectory(directory.toFile())
          .setSshDirectory(directory.toFile())
          .setDefaultIdentities(ignored -> List.of(key))
          .setDefaultKnownHostsFiles(ignored -> List.of(knownHosts))
          .setConfigFile(ignored -> null)
          .build(new JGitKeyCache());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the SSH key: " + e.getMessage(), e);
    }
  }

  private static Path privateFile(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    return file;
  }

  private static String fingerprint(GitCredentials credentials) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(credentials.sshKey().getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(String.valueOf(credentials.knownHosts()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
