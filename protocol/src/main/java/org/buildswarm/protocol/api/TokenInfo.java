package org.buildswarm.protocol.api;

/** A known token: its name and role. An unknown token is answered with a 401 failure instead. */
public record TokenInfo(String name, Role role) {}
