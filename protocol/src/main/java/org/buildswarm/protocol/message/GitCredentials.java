package org.buildswarm.protocol.message;

/**
 * How to read a private repository: a user and password (or token) for HTTPS, or an SSH key with
 * the server's known host keys for {@code ssh://} and {@code git@host:path}. Travels to the drone
 * with the assignment of a job that checks the repository out; never stored, logged or shown.
 *
 * @param username for HTTPS (a token's user: whatever the forge wants, often anything)
 * @param password the password or token, for HTTPS
 * @param sshKey an OpenSSH private key (the file's text), for SSH
 * @param knownHosts known_hosts lines for the server's keys, for SSH (an unknown key is refused)
 */
public record GitCredentials(String username, String password, String sshKey, String knownHosts) {
  public boolean ssh() {
    return sshKey != null;
  }

  @Override
  public String toString() {
    return ssh() ? "GitCredentials[ssh key]" : "GitCredentials[user " + username + "]"; // never a secret
  }
}
