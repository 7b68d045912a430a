package org.buildswarm.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import org.buildswarm.deploy.cluster.TlsSettings;
import org.buildswarm.deploy.impl.CertificateAuthority;
import org.buildswarm.protocol.auth.Credentials;
import org.buildswarm.protocol.config.SettingsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm credentials}: the credentials of a new swarm's nodes, and certificates for event-bus TLS. */
@Command(name = "credentials", mixinStandardHelpOptions = true,
    description = "Make the credentials nodes authenticate each other with on the event bus (docs/security.md).",
    subcommands = {CredentialsCommand.Init.class, CredentialsCommand.Drone.class, CredentialsCommand.Tls.class})
final class CredentialsCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("swarm credentials: say which: init, drone NAME or tls (swarm credentials --help)");
    return SwarmCli.BAD_INPUT;
  }

  /** {@code swarm credentials init}: the control plane's credentials of a new swarm. */
  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Make the control plane's credentials of a new swarm: give the file to every orchestrator and "
          + "gateway (--credentials), and make each drone's from it.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "control.credentials",
        description = "Where to write them (mode 600; default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (Files.exists(out)) {
        System.err.println("swarm credentials init: " + out + " exists; a new secret would lock out every node made "
            + "from the old one (remove it first to start over)");
        return SwarmCli.BAD_INPUT;
      }
      Credentials.newSwarm(new SecureRandom()).write(out);
      System.out.println("wrote the control plane's credentials to " + out
          + "\n  give it to every orchestrator and gateway: --credentials " + out
          + "\n  make each drone's: swarm credentials drone NAME --control " + out);
      return SwarmCli.OK;
    }
  }

  /** {@code swarm credentials drone NAME}: one drone's credentials, made from the control plane's. */
  @Command(name = "drone", mixinStandardHelpOptions = true,
      description = "Make a drone's credentials from the control plane's: they let it speak as this drone only.")
  static final class Drone implements Callable<Integer> {
    @Parameters(index = "0", description = "The drone's name, as it joins the swarm.")
    String name;

    @Option(names = "--control", required = true, description = "The control plane's credentials file.")
    Path control;

    @Option(names = "--out", description = "Where to write them (mode 600; default: drone-NAME.credentials).")
    Path out;

    @Override
    public Integer call() throws Exception {
      Credentials credentials;
      try {
        credentials = Credentials.read(control);
      } catch (SettingsFile.SettingsException e) {
        System.err.println("swarm credentials drone: " + e.getMessage());
        return SwarmCli.BAD_INPUT;
      }
      if (credentials.role() != Credentials.Role.CONTROL) {
        System.err.println("swarm credentials drone: " + control + " holds " + credentials.identity()
            + "'s credentials; a drone's are made from the control plane's");
        return SwarmCli.BAD_INPUT;
      }
      Credentials drone;
      try {
        drone = credentials.forDrone(name);
      } catch (IllegalArgumentException e) {
        System.err.println("swarm credentials drone: " + e.getMessage());
        return SwarmCli.BAD_INPUT;
      }
      Path file = out != null ? out : Path.of("drone-" + name + ".credentials");
      drone.write(file);
      System.out.println("wrote drone " + name + "'s credentials to " + file + "\n  on its host: swarm drone --credentials "
          + file);
      return SwarmCli.OK;
    }
  }

  /** {@code swarm credentials tls}: a CA (once) and a certificate for each node named, for event-bus TLS. */
  @Command(name = "tls", mixinStandardHelpOptions = true,
      description = "Make a certificate authority for the swarm (the first time) and a key and certificate for each "
          + "node named, for event-bus TLS with client certificates (--tls-cert, --tls-key, --tls-ca).")
  static final class Tls implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "tls", description = "Where the CA and the certificates live (default: "
        + "${DEFAULT-VALUE}).")
    Path directory;

    @Option(names = "--swarm", defaultValue = "buildswarm", description = "The swarm's name, in the CA's (default: "
        + "${DEFAULT-VALUE}).")
    String swarm;

    @Parameters(arity = "1..*", paramLabel = "NODE[=NAME,...]", description = "A node, and the host names and "
        + "addresses it is reached at (default: its name), e.g. build-07=100.101.1.7,build-07.tailnet.ts.net")
    List<String> nodes;

    @Override
    public Integer call() throws Exception {
      CertificateAuthority authority = new CertificateAuthority(directory);
      try {
        if (!authority.exists()) {
          authority.create(swarm);
          System.out.println("made a certificate authority in " + directory + " (" + CertificateAuthority.CA_CERTIFICATE
              + "; keep " + CertificateAuthority.CA_KEY + " off the nodes)");
        }
        for (String node : nodes) {
          String name = node.contains("=") ? node.substring(0, node.indexOf('=')) : node;
          List<String> names = node.contains("=") ? List.of(node.substring(node.indexOf('=') + 1).split(","))
              : List.of(name);
          TlsSettings tls = authority.issue(name, names);
          System.out.println(name + ": --tls-cert " + tls.certificate() + " --tls-key " + tls.privateKey() + " --tls-ca "
              + tls.authority());
        }
      } catch (java.io.IOException e) {
        System.err.println("swarm credentials tls: " + e.getMessage());
        return SwarmCli.BAD_INPUT;
      }
      return SwarmCli.OK;
    }
  }
}
