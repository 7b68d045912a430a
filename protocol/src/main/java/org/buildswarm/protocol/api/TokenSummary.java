package org.buildswarm.protocol.api;

/** An API token as listed to admins: its name, role and age, never the token or its hash. */
public record TokenSummary(String name, Role role, long createdAt) {}
