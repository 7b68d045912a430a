package org.buildswarm.deploy;

import java.util.Locale;

/** The {@code --reads-need-token} setting of {@code swarm up} and {@code swarm gateway}. */
final class ReadAccess {
  private ReadAccess() {}

  /**
   * @return true or false, or null for auto (a token is needed unless the gateway listens on loopback)
   * @throws IllegalArgumentException with a message for people
   */
  static Boolean parse(String text) {
    return switch (text == null ? "auto" : text.trim().toLowerCase(Locale.ROOT)) {
      case "auto", "" -> null;
      case "yes", "true" -> Boolean.TRUE;
      case "no", "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("reads-need-token is yes, no or auto, not \"" + text + "\"");
    };
  }
}
