package org.buildswarm.tests;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A build host of its own for a test: a network namespace joined to this one by a veth pair whose
 * inside end is named {@code tailscale0} and has an address in 100.64.0.0/10, as on a tailnet.
 * {@link #cut()} and {@link #heal()} take the link down and up. Closing removes it all. Needs root.
 */
final class NetworkNamespace implements AutoCloseable {
  final String name;
  final String hostSide;
  final String hostAddress;
  final String insideAddress;

  private NetworkNamespace(String name, String hostSide, int subnet) {
    this.name = name;
    this.hostSide = hostSide;
    this.hostAddress = "100.64." + subnet + ".1";
    this.insideAddress = "100.64." + subnet + ".2";
  }

  static boolean available() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return false;
    }
    try {
      return new ProcessBuilder("ip", "netns", "list").start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static NetworkNamespace create() throws Exception {
    String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    NetworkNamespace namespace = new NetworkNamespace("bs" + suffix, "bsh" + suffix,
        ThreadLocalRandom.current().nextInt(100, 250));
    try {
      namespace.ip(List.of("netns", "add", namespace.name));
      namespace.ip(List.of("link", "add", namespace.hostSide, "type", "veth", "peer", "name", "tailscale0", "netns",
          namespace.name));
      namespace.ip(List.of("addr", "add", namespace.hostAddress + "/30", "dev", namespace.hostSide));
      namespace.ip(List.of("link", "set", namespace.hostSide, "up"));
      namespace.inside(List.of("addr", "add", namespace.insideAddress + "/30", "dev", "tailscale0"));
      namespace.inside(List.of("link", "set", "tailscale0", "up"));
      namespace.inside(List.of("link", "set", "lo", "up"));
      return namespace;
    } catch (Exception e) {
      namespace.close();
      throw e;
    }
  }

  void cut() throws Exception {
    inside(List.of("link", "set", "tailscale0", "down"));
  }

  void heal() throws Exception {
    inside(List.of("link", "set", "tailscale0", "up"));
  }

  private void inside(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("netns", "exec", name, "ip"));
    command.addAll(args);
    ip(command);
  }

  private void ip(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output);
    }
  }

  @Override
  public void close() {
    for (List<String> command : List.of(List.of("netns", "del", name), List.of("link", "del", hostSide))) {
      try {
        ip(command);
      } catch (Exception e) {
        // already gone
      }
    }
  }
}
