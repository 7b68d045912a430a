package org.buildswarm.protocol;

/**
 * The version of the message records in this module. A drone whose version differs from the
 * orchestrator's is refused at registration, with both versions in the reason.
 */
public final class ProtocolVersion {
  private ProtocolVersion() {}

  /** Bump whenever a record in {@code org.buildswarm.protocol.message} changes shape. */
  public static final int CURRENT = 8;
}
