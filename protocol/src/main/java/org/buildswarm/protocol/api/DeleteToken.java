package org.buildswarm.protocol.api;

/**
 * Revokes the API token named. Fails with 404 if there is none, and with 409 for the last admin
 * token (a swarm nobody can administer would need its store edited by hand).
 */
public record DeleteToken(String name, String requestedBy) {}
