package org.buildswarm.deploy.cluster;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Finds the address a node binds to: its Tailscale address unless told otherwise. The tailnet is
 * the swarm's first wall, so a node never binds to every interface by accident.
 */
public final class TailnetAddress {
  /** Tailscale gives nodes addresses from the CGNAT range 100.64.0.0/10. */
  static final String TAILNET_RANGE = "100.64.0.0/10";
  static final String TAILSCALE_INTERFACE = "tailscale0";

  private TailnetAddress() {}

  /**
   * @param bind {@code auto} (the tailscale0 address, else any address in 100.64.0.0/10),
   *     {@code interface:NAME} (that interface's IPv4 address), or an address
   */
  public static String resolve(String bind) throws SocketException, UnknownHostException {
    if (bind == null || bind.isBlank() || bind.equals("auto")) {
      Optional<String> onTailscale = interfaceAddress(TAILSCALE_INTERFACE);
      if (onTailscale.isPresent()) {
        return onTailscale.get();
      }
      for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress address : Collections.list(network.getInetAddresses())) {
          if (address instanceof Inet4Address && inTailnetRange(address)) {
            return address.getHostAddress();
          }
        }
      }
      throw new SocketException("no tailnet address found (no " + TAILSCALE_INTERFACE + " interface and no address in "
          + TAILNET_RANGE + "); join the tailnet, or give --bind ADDRESS or --bind interface:NAME");
    }
    if (bind.startsWith("interface:")) {
      String name = bind.substring("interface:".length());
      return interfaceAddress(name).orElseThrow(() -> new SocketException("interface " + name
          + " does not exist or has no IPv4 address"));
    }
    return InetAddress.getByName(bind).getHostAddress();
  }

  static Optional<String> interfaceAddress(String name) throws SocketException {
    NetworkInterface network = NetworkInterface.getByName(name);
    if (network == null) {
      return Optional.empty();
    }
    List<InetAddress> addresses = new ArrayList<>(Collections.list(network.getInetAddresses()));
    return addresses.stream().filter(a -> a instanceof Inet4Address).map(InetAddress::getHostAddress).findFirst();
  }

  static boolean inTailnetRange(InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == 4 && (bytes[0] & 0xff) == 100 && (bytes[1] & 0xc0) == 64;
  }
}
