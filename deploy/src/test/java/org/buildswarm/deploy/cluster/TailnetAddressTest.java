package org.buildswarm.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class TailnetAddressTest {
  @Test
  void tailnetRangeIs100Point64Slash10() throws Exception {
    assertThat(TailnetAddress.inTailnetRange(InetAddress.getByName("100.64.0.1"))).isTrue();
    assertThat(TailnetAddress.inTailnetRange(InetAddress.getByName("100.127.255.254"))).isTrue();
    assertThat(TailnetAddress.inTailnetRange(InetAddress.getByName("100.128.0.1"))).isFalse();
    assertThat(TailnetAddress.inTailnetRange(InetAddress.getByName("100.63.255.255"))).isFalse();
    assertThat(TailnetAddress.inTailnetRange(InetAddress.getByName("10.0.0.1"))).isFalse();
  }

  @Test
  void explicitAddressesAndInterfacesAreUsedAsGiven() throws Exception {
    assertThat(TailnetAddress.resolve("127.0.0.1")).isEqualTo("127.0.0.1");
    assertThat(TailnetAddress.resolve("interface:lo")).isEqualTo("127.0.0.1");
    assertThatThrownBy(() -> TailnetAddress.resolve("interface:nope0")).isInstanceOf(SocketException.class)
        .hasMessageContaining("interface nope0 does not exist");
  }

  @Test
  void autoWithoutATailnetSaysWhatToDo() throws Exception {
    boolean onTailnet = TailnetAddress.interfaceAddress(TailnetAddress.TAILSCALE_INTERFACE).isPresent();
    if (!onTailnet) {
      try {
        String found = TailnetAddress.resolve("auto");
        assertThat(TailnetAddress.inTailnetRange(InetAddress.getByName(found))).isTrue();
      } catch (SocketException e) {
        assertThat(e.getMessage()).contains("no tailnet address found").contains("--bind");
      }
    }
  }
}
