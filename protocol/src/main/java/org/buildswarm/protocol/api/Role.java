package org.buildswarm.protocol.api;

/** What a token may do; each role may do everything the ones before it may. */
public enum Role {
  VIEWER,
  DEVELOPER,
  ADMIN;

  public boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }
}
